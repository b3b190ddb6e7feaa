"""What could have been saved, by lever, each with its band: a response cache (exact and
semantic), provider prompt caching, prompt-waste fixes, and routing when its marts exist.

Bands: an exact-cache hit is certain (low = high); a semantic hit is right only with the
embedder's calibrated precision, so its low end counts hits at that precision; prompt caching and
prompt waste are point estimates of the simulation; routing carries its own low / high from
`routing_opportunities`. Levers overlap (an exact hit is also a semantic hit): they are not
added up.
"""

from __future__ import annotations

import duckdb
import plotly.graph_objects as go

from pipelines.webreport.blocks import Section, existing_tables, number, table_columns

CACHE_SQL = """
with by_strategy as (
    select strategy, sum(saved_usd) as saved_usd, sum(hits) as hits
    from cache_opportunities group by strategy
),
sweep as (
    select any_value(est_hit_precision) as precision
    from semantic_cache_sweep
    where is_default and scope = (select any_value(scope) from savings_runs)
),
final as (
    select
        case strategy when 'exact' then 'response cache (exact)'
                      when 'semantic' then 'response cache (semantic)'
                      else 'provider prompt caching' end as lever,
        saved_usd,
        case when strategy = 'semantic'
             then saved_usd * coalesce((select precision from sweep), 0)
             else saved_usd end as saved_usd_low,
        saved_usd as saved_usd_high,
        case strategy when 'exact' then 'exact replay of history'
                      when 'semantic' then 'replay; low end at the calibrated hit precision'
                      else 'replay of prompt prefixes' end as basis,
        'cache_opportunities' as mart
    from by_strategy
)
select * from final
"""

WASTE_SQL = """
select 'prompt waste fixes' as lever, sum(est_saved_usd) as saved_usd,
       sum(est_saved_usd) as saved_usd_low, sum(est_saved_usd) as saved_usd_high,
       'estimate of each fix (no band)' as basis, 'prompt_waste' as mart
from prompt_waste having count(*) > 0
"""

ROUTING_SQL = """
select 'routing: ' || policy as lever, sum(saved_usd) as saved_usd,
       sum(saved_usd_low) as saved_usd_low, sum(saved_usd_high) as saved_usd_high,
       string_agg(distinct quality_basis, '; ') as basis, 'routing_opportunities' as mart
from routing_opportunities group by policy
"""

ROUTING_DETAIL_SQL = """
select policy, from_model, to_model, sum(requests) as requests,
       sum(routed_requests) as routed_requests, sum(cost_usd) as cost_usd,
       sum(saved_usd) as saved_usd, sum(saved_usd_low) as saved_usd_low,
       sum(saved_usd_high) as saved_usd_high, min(est_pgr_low) as est_pgr_low,
       max(est_pgr_high) as est_pgr_high, string_agg(distinct quality_basis, '; ') as basis
from routing_opportunities
group by policy, from_model, to_model order by saved_usd desc nulls last
"""


ROUTERS = ("random", "calibrated", "oracle")


def _routing_curve(section: Section, con: duckdb.DuckDBPyConnection) -> None:
    """`routing_curve` (policy x strong_share): saved dollars and PGR for random, calibrated
    and oracle routing, one line per policy and router."""
    columns = table_columns(con, "routing_curve")
    routers = [r for r in ROUTERS if f"saved_usd_{r}" in columns and f"pgr_{r}" in columns]
    if not routers or "strong_share" not in columns:
        section.note("routing_curve has no saved_usd_<router> / pgr_<router> columns: "
                     "shown as a table.")
        cols, rows = section.query(con, "routing_curve", "select * from routing_curve limit 50")
        section.table(cols, rows)
        return
    # Column names come from the fixed ROUTERS list, never from data.
    picked = ", ".join(f"saved_usd_{r}, pgr_{r}" for r in routers)
    _, rows = section.query(con, "routing_curve", f"""
        select policy, strong_share, {picked}
        from routing_curve order by policy, strong_share
    """)
    if not rows:
        section.note("routing_curve is empty: no routing policy in savings.toml.")
        return
    for measure, offset, title in (("saved", 2, "saved (USD)"), ("pgr", 3, "PGR")):
        figure = go.Figure()
        for policy in dict.fromkeys(r[0] for r in rows):
            points = [r for r in rows if r[0] == policy]
            for index, router in enumerate(routers):
                figure.add_scatter(
                    x=[100 * number(p[1]) for p in points],
                    y=[number(p[offset + 2 * index]) for p in points], mode="lines+markers",
                    name=f"{policy} ({router})")
        figure.update_layout(xaxis_title="share left on the strong model (%)",
                             yaxis_title=title)
        section.chart(figure, f"routing-curve-{measure}", height=300)


def savings(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section("savings", "What could have been saved, by lever",
                      "Simulated over the requests that logged their prompt; bars are the "
                      "point estimate, whiskers the band. Levers overlap: do not add them.")
    tables = existing_tables(con)
    rows: list[tuple] = []
    columns: list[str] = []
    if "cache_opportunities" in tables and "savings_runs" in tables:
        columns, found = section.query(con, "cache_opportunities", CACHE_SQL)
        rows += found
    else:
        section.missing("cache_opportunities", "run `llmcost savings` to simulate caching.")
    if "prompt_waste" in tables:
        columns, found = section.query(con, "prompt_waste", WASTE_SQL)
        rows += found
    if "routing_opportunities" in tables:
        columns, found = section.query(con, "routing_opportunities", ROUTING_SQL)
        rows += found
    else:
        section.missing("routing_opportunities",
                        "routing savings appear here once the routing simulation is built.")
    rows.sort(key=lambda r: -number(r[1]))
    if rows:
        figure = go.Figure()
        figure.add_bar(
            y=[r[0] for r in rows], x=[number(r[1]) for r in rows], orientation="h",
            error_x={"type": "data", "symmetric": False,
                     "array": [number(r[3]) - number(r[1]) for r in rows],
                     "arrayminus": [number(r[1]) - number(r[2]) for r in rows]},
            customdata=[[number(r[2]), number(r[3]), r[4]] for r in rows],
            hovertemplate="%{y}: %{x:$,.2f} [%{customdata[0]:$,.2f} - %{customdata[1]:$,.2f}]"
                          "<br>%{customdata[2]}<extra></extra>")
        figure.update_layout(xaxis_title="saved (USD)", yaxis={"autorange": "reversed"},
                             showlegend=False, margin={"l": 200})
        section.chart(figure, "savings-by-lever", height=80 + 45 * len(rows))
        section.table(columns, rows)
    if "routing_opportunities" in tables:
        cols, detail = section.query(con, "routing_opportunities", ROUTING_DETAIL_SQL)
        section.table(cols, detail, "Routing by policy: saved [low - high], PGR band "
                      "(performance gap recovered, from random to oracle routing)")
    if "routing_curve" in tables:
        _routing_curve(section, con)
    else:
        section.missing("routing_curve", "the routing cost / quality curve is not built yet.")
    return section
