"""What needs attention: budgets against actual and forecast with their alerts, spend anomalies
on a timeline, the bill against the logs, and data health (freshness, quarantine, unpriced
models). Each reads its mart when it exists and says so when it does not."""

from __future__ import annotations

import duckdb
import plotly.graph_objects as go

from pipelines.webreport.blocks import Section, existing_tables, number

BUDGET_SQL = """
with latest as (
    select *, row_number() over (partition by budget_id, scope_value
                                 order by period_start desc) as recency
    from budget_status
),
final as (
    select budget_id, scope_value, period_start, period_end, amount_usd, spend_usd, pct_used,
           forecast_usd, forecast_pct, status
    from latest where recency = 1
)
select * from final order by pct_used desc nulls last, budget_id, scope_value limit 20
"""

ALERTS_SQL = """
select crossed_at, budget_id, scope_value, threshold, basis, spend_at_crossing_usd, request_id
from budget_alerts order by crossed_at desc, budget_id limit 15
"""

REPLAY_SQL = """
select budget_id, decision, count(*) as requests, sum(original_cost_usd) as original_cost_usd,
       sum(replay_cost_usd) as replay_cost_usd, sum(saved_usd) as saved_usd
from enforcement_replay group by budget_id, decision order by saved_usd desc nulls last
"""

ANOMALY_SQL = """
select window_start, window_end, kind, dimension, dimension_value, actual_usd, expected_usd,
       impact_usd, score, first_request_id
from spend_anomalies order by impact_usd desc nulls last, window_start limit 200
"""

COVERAGE_SQL = """
select usage_date, sum(logs_cost_usd) as logs_cost_usd, sum(bill_usd) as bill_usd
from cost_coverage group by usage_date having sum(bill_usd) is not null order by usage_date
"""

COVERAGE_BY_PROVIDER_SQL = """
select provider, any_value(bill_basis) as bill_basis, sum(logs_cost_usd) as logs_cost_usd,
       sum(bill_usd) as bill_usd,
       sum(logs_cost_usd) / nullif(sum(bill_usd), 0) as explained_share,
       sum(remainder_usd) as remainder_usd
from cost_coverage group by provider order by bill_usd desc nulls last, provider
"""

RECONCILIATION_TOTAL_SQL = """
select sum(logs_cost_usd) as logs_cost_usd, sum(difference_usd - residual_usd) as explained_usd,
       sum(residual_usd) as residual_usd, sum(billed_usd) as billed_usd, count(*) as cells
from reconciliation
"""

RECONCILIATION_WORST_SQL = """
select usage_date, provider, model, logs_cost_usd, billed_usd, difference_usd, difference_pct,
       capture_rate, residual_usd, status
from reconciliation where status <> 'ok'
order by abs(residual_usd) desc nulls last, usage_date limit 12
"""

FRESHNESS_SQL = """
select source, count(*) as requests, max(occurred_at) as last_request_at,
       max(ingested_at) as last_ingested_at,
       date_diff('hour', max(occurred_at), (select max(occurred_at) from requests))
           as hours_behind_newest,
       date_diff('hour', max(occurred_at), now()) as hours_old
from requests group by source order by source
"""

QUARANTINE_SQL = """
select source, reason_code, count(*) as records
from quarantine where not is_duplicate group by source, reason_code
order by records desc, source limit 15
"""

UNPRICED_MODELS_SQL = """
select provider, model_raw, resolved_model, requests, input_tokens, output_tokens, last_seen_at,
       closest_known_ids
from unpriced_models order by requests desc, provider, model_raw limit 15
"""

UNPRICED_FALLBACK_SQL = """
select provider, model_raw, any_value(unpriced_reason) as unpriced_reason, count(*) as requests,
       max(occurred_at) as last_seen_at
from requests where not is_priced group by provider, model_raw
order by requests desc, provider, model_raw limit 15
"""


def budgets(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section("budgets", "Budgets: actual and forecast against the amount, and alerts")
    tables = existing_tables(con)
    if "budget_status" not in tables:
        section.missing("budget_status", "budgets are not configured or not built yet "
                        "($LLMCOST_HOME/budgets.toml).")
        return section
    columns, rows = section.query(con, "budget_status", BUDGET_SQL)
    if rows:
        labels = [f"{r[0]} {r[1]}" if r[1] not in (None, "", "*") else r[0] for r in rows]
        figure = go.Figure()
        figure.add_bar(y=labels, x=[100 * number(r[6]) for r in rows], name="spent",
                       orientation="h")
        figure.add_bar(y=labels, x=[100 * number(r[8]) for r in rows], name="forecast",
                       orientation="h", opacity=0.45)
        figure.add_vline(x=100, line_dash="dash", line_color="#dc3912")
        figure.update_layout(barmode="overlay", xaxis={"title": "% of the budget",
                                                       "ticksuffix": "%"},
                             yaxis={"autorange": "reversed"}, margin={"l": 180})
        section.chart(figure, "budgets", height=max(200, 90 + 32 * len(rows)))
    section.table(columns, rows, "Current period per budget and scope")
    if "budget_alerts" in tables:
        cols, alerts = section.query(con, "budget_alerts", ALERTS_SQL)
        section.table(cols, alerts, "Latest alerts (threshold crossings)")
    else:
        section.missing("budget_alerts", "no alerts table yet.")
    if "enforcement_replay" in tables:
        cols, replay = section.query(con, "enforcement_replay", REPLAY_SQL)
        section.table(cols, replay, "What enforcing the caps would have changed (replay)")
    else:
        section.missing("enforcement_replay", "no enforcement replay yet.")
    return section


def anomalies(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section("anomalies", "Spend anomalies on a timeline",
                      "Each point is an anomaly; its height is the impact (actual - expected).")
    if "spend_anomalies" not in existing_tables(con):
        section.missing("spend_anomalies", "anomaly detection is not built yet.")
        return section
    columns, rows = section.query(con, "spend_anomalies", ANOMALY_SQL)
    if not rows:
        section.note("No anomalies detected.")
        return section
    figure = go.Figure()
    for kind in sorted({r[2] for r in rows}):
        points = [r for r in rows if r[2] == kind]
        figure.add_scatter(
            x=[p[0] for p in points], y=[number(p[7]) for p in points], mode="markers",
            name=kind, marker={"size": 11},
            customdata=[[p[3], p[4], number(p[5]), number(p[6])] for p in points],
            hovertemplate="%{x}<br>%{customdata[0]} = %{customdata[1]}<br>actual "
                          "%{customdata[2]:$,.2f}, expected %{customdata[3]:$,.2f}<br>impact "
                          "%{y:$,.2f}<extra>" + kind + "</extra>")
    figure.update_layout(yaxis_title="impact (USD)")
    section.chart(figure, "anomalies")
    section.table(columns, rows[:15], "Largest anomalies")
    return section


def bill_vs_logs(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section("bill", "The bill against the logs",
                      "Days with a provider export: what the logs explain of the bill.")
    tables = existing_tables(con)
    _, days = section.query(con, "cost_coverage", COVERAGE_SQL)
    if days:
        figure = go.Figure()
        figure.add_bar(x=[d[0] for d in days], y=[number(d[2]) for d in days], name="bill",
                       opacity=0.5)
        figure.add_scatter(x=[d[0] for d in days], y=[number(d[1]) for d in days],
                           name="logs", mode="lines+markers")
        figure.update_layout(yaxis_title="USD")
        section.chart(figure, "bill-vs-logs", height=300)
    else:
        section.note("No provider usage or cost export ingested: the logs are the only source.")
    columns, rows = section.query(con, "cost_coverage", COVERAGE_BY_PROVIDER_SQL)
    section.table(columns, rows, "Per provider over the whole window")
    if "reconciliation" not in tables:
        section.missing("reconciliation", "the per-model reconciliation (explained split, "
                        "residual) is not built yet.")
        return section
    _, total = section.query(con, "reconciliation", RECONCILIATION_TOTAL_SQL)
    if not total[0][4]:
        section.note("reconciliation is empty: no provider bill to reconcile the logs with.")
        return section
    logs, explained, residual, billed = (number(v) for v in total[0][:4])
    figure = go.Figure(go.Waterfall(
        x=["logs", "explained causes", "unexplained", "bill"],
        measure=["absolute", "relative", "relative", "total"],
        y=[logs, explained, residual, billed],
        hovertemplate="%{x}: %{y:$,.2f}<extra></extra>"))
    figure.update_layout(yaxis_title="USD", showlegend=False)
    section.chart(figure, "reconciliation-waterfall", height=300)
    cols, worst = section.query(con, "reconciliation", RECONCILIATION_WORST_SQL)
    section.table(cols, worst, "Cells outside the tolerance, largest residual first")
    return section


def health(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section("health", "Data health: freshness, quarantine, unpriced models")
    columns, rows = section.query(con, "requests", FRESHNESS_SQL)
    section.table(columns, rows, "Freshness per source: hours behind the newest request, and "
                  "hours old when this page was written")
    columns, rows = section.query(con, "quarantine", QUARANTINE_SQL)
    section.table(columns, rows, "Quarantined records by reason (duplicates not counted)")
    if "unpriced_models" in existing_tables(con):
        columns, rows = section.query(con, "unpriced_models", UNPRICED_MODELS_SQL)
        section.table(columns, rows, "Unpriced models: add a row to "
                      "$LLMCOST_HOME/pricing/overrides.csv")
    else:
        section.missing("unpriced_models", "showing unpriced requests from requests instead.")
        columns, rows = section.query(con, "requests", UNPRICED_FALLBACK_SQL)
        section.table(columns, rows, "Unpriced requests by model")
    return section
