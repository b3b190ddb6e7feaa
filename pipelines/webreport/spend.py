"""Where the money went: daily spend stacked by provider / model, cost by team, feature, model
and environment (Pareto tables), and what a session costs per feature (agent amplification)."""

from __future__ import annotations

import duckdb
import plotly.graph_objects as go

from pipelines.webreport.blocks import Section, number, usd

TOP_SERIES = 8

DAILY_SQL = """
with by_model as (
    select usage_date, provider || ' / ' || model as series, sum(cost_usd) as cost_usd
    from daily_costs group by usage_date, provider, model
),
ranked as (
    select series, row_number() over (order by sum(cost_usd) desc nulls last, series) as rank
    from by_model group by series
),
final as (
    select by_model.usage_date,
           case when ranked.rank <= ? then by_model.series else 'other models' end as series,
           sum(by_model.cost_usd) as cost_usd
    from by_model
    inner join ranked on ranked.series = by_model.series
    group by all
)
select * from final order by usage_date, series
"""

# The dimension is an identifier from this fixed list, never user input.
DIMENSIONS = ("team", "feature", "model", "environment")

PARETO_SQL = """
with grouped as (
    select {dim} as {dim}, sum(requests) as requests, sum(cost_usd) as cost_usd
    from daily_costs group by {dim}
),
final as (
    select {dim}, requests, cost_usd,
           cost_usd / nullif(sum(cost_usd) over (), 0) as share,
           sum(cost_usd) over (order by cost_usd desc nulls last, {dim}
                               rows between unbounded preceding and current row)
               / nullif(sum(cost_usd) over (), 0) as cumulative_share
    from grouped
)
select * from final order by cost_usd desc nulls last, {dim} limit 12
"""

SESSIONS_SQL = """
with final as (
    select feature, count(*) as sessions, sum(calls) as calls,
           avg(calls) as calls_per_session, sum(cost_usd) as cost_usd,
           avg(cost_usd) as cost_per_session_usd,
           sum(cost_usd) / nullif(sum(calls), 0) as cost_per_call_usd,
           max(cost_usd) as costliest_session_usd
    from session_costs group by feature
)
select * from final order by cost_usd desc nulls last limit 12
"""


def daily(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section("daily", "Daily spend by provider / model",
                      f"Stacked per UTC day; the {TOP_SERIES} costliest provider / model pairs, "
                      "the rest as 'other models'. Includes export rows (cost_basis).")
    _, rows = section.query(con, "daily_costs", DAILY_SQL, [TOP_SERIES])
    if not rows:
        section.note("No spend yet.")
        return section
    figure = go.Figure()
    series = list(dict.fromkeys(series for _, series, _ in rows))
    for name in series:
        points = [(day, cost) for day, s, cost in rows if s == name]
        figure.add_bar(x=[p[0] for p in points], y=[number(p[1]) for p in points], name=name,
                       hovertemplate="%{x}<br>%{y:$,.2f}<extra>" + name + "</extra>")
    figure.update_layout(barmode="stack", yaxis_title="cost (USD)", legend={"font": {"size": 10}})
    section.chart(figure, "daily-spend", height=380)
    return section


def breakdowns(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section("breakdown", "Cost by team, feature, model and environment",
                      "Pareto: bars are each value's cost, the line the cumulative share.")
    for dim in DIMENSIONS:
        columns, rows = section.query(con, "daily_costs", PARETO_SQL.format(dim=dim))
        if not rows:
            continue
        figure = go.Figure()
        labels = [str(r[0]) for r in rows]
        figure.add_bar(x=labels, y=[number(r[2]) for r in rows], name="cost",
                       hovertemplate="%{x}: %{y:$,.2f}<extra></extra>")
        figure.add_scatter(x=labels, y=[100 * number(r[4]) for r in rows], name="cumulative %",
                           yaxis="y2", mode="lines+markers",
                           hovertemplate="%{y:.1f}%<extra>cumulative</extra>")
        figure.update_layout(title={"text": f"by {dim}", "font": {"size": 13}},
                             yaxis={"title": "USD"}, showlegend=False,
                             yaxis2={"overlaying": "y", "side": "right", "range": [0, 105],
                                     "tickvals": [0, 25, 50, 75, 100], "ticksuffix": "%",
                                     "showgrid": False})
        section.raw('<div class="pair">')
        section.chart(figure, f"pareto-{dim}", height=300)
        section.table(columns, rows)
        section.raw("</div>")
    return section


def sessions(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section("sessions", "Sessions: cost and calls per session by feature",
                      "Agent amplification: a feature whose sessions make many calls multiplies "
                      "its per-call cost. Bubble size = sessions.")
    columns, rows = section.query(con, "session_costs", SESSIONS_SQL)
    if not rows:
        section.note("No sessions: no log carried a session id.")
        return section
    figure = go.Figure()
    largest = max(r[1] for r in rows) or 1
    figure.add_scatter(
        x=[number(r[3]) for r in rows], y=[number(r[5]) for r in rows], mode="markers+text",
        text=[str(r[0]) for r in rows], textposition="top center",
        marker={"size": [12 + 38 * (r[1] / largest) ** 0.5 for r in rows], "opacity": 0.6},
        customdata=[[r[1], usd(r[6], 4)] for r in rows],
        hovertemplate="%{text}<br>%{x:.1f} calls/session<br>%{y:$,.4f}/session<br>"
                      "%{customdata[0]:,} sessions, %{customdata[1]}/call<extra></extra>")
    figure.update_layout(xaxis_title="calls per session", yaxis_title="cost per session (USD)",
                         showlegend=False)
    section.chart(figure, "sessions")
    section.table(columns, rows)
    return section
