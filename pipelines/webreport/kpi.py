"""The KPI header: month-to-date spend, its forecast, the change against the same days of the
previous month, the unpriced share, and how much of the bill the logs explain.

"Month" is the month of the newest `usage_date` in `daily_costs` (the report describes the
data, not the clock: a warehouse built last week still gets a coherent header). The forecast is
a run rate: month-to-date plus the last 7 days' average daily spend times the days left.
"""

from __future__ import annotations

import html

import duckdb

from pipelines.webreport.blocks import Section, existing_tables, pct, usd

KPI_SQL = """
with days as (
    select usage_date, sum(cost_usd) as cost_usd, sum(requests) as requests,
           sum(unpriced_requests) as unpriced_requests
    from daily_costs group by usage_date
),
bounds as (
    select max(usage_date) as as_of, min(usage_date) as first_day,
           cast(date_trunc('month', max(usage_date)) as date) as month_start
    from days
),
final as (
    select
        bounds.first_day,
        bounds.as_of,
        bounds.month_start,
        (select sum(cost_usd) from days) as total_cost_usd,
        (select sum(requests) from days) as requests,
        (select sum(unpriced_requests) from days) as unpriced_requests,
        (select sum(cost_usd) from days where usage_date >= bounds.month_start) as mtd_cost_usd,
        (select sum(cost_usd) from days
         where usage_date >= bounds.month_start - interval 1 month
           and usage_date <= bounds.as_of - interval 1 month) as previous_cost_usd,
        (select count(*) from days
         where usage_date >= bounds.month_start - interval 1 month
           and usage_date < bounds.month_start) as previous_days,
        (select sum(cost_usd) / 7 from days
         where usage_date > bounds.as_of - interval 7 day) as run_rate_usd,
        datediff('day', bounds.as_of,
                 cast(bounds.month_start + interval 1 month as date)) - 1 as days_left
    from bounds
)
select * from final
"""

COVERAGE_SQL = """
select sum(logs_cost_usd) as logs_cost_usd, sum(bill_usd) as bill_usd
from cost_coverage where bill_usd is not null
"""

RECONCILIATION_SQL = """
select sum(logs_cost_usd) as logs_cost_usd, sum(billed_usd) as bill_usd
from reconciliation where billed_usd is not null
"""


def _tile(key: str, label: str, value_text: str, exact, mart: str, detail: str) -> str:
    exact_attr = "" if exact is None else f' data-value="{html.escape(str(exact))}"'
    return (f'<div class="kpi" data-kpi="{key}"{exact_attr} title="from {html.escape(mart)}">'
            f'<div class="kpi-label">{html.escape(label)}</div>'
            f'<div class="kpi-value">{html.escape(value_text)}</div>'
            f'<div class="kpi-detail">{html.escape(detail)} <span class="mart">'
            f'{html.escape(mart)}</span></div></div>')


def header(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section("kpi", "At a glance")
    columns, rows = section.query(con, "daily_costs", KPI_SQL)
    kpi = dict(zip(columns, rows[0], strict=True))
    if kpi["as_of"] is None:
        section.note("daily_costs is empty: ingest and build first (llmcost run).")
        return section
    mtd, previous = kpi["mtd_cost_usd"], kpi["previous_cost_usd"]
    forecast = None
    if mtd is not None and kpi["run_rate_usd"] is not None:
        forecast = float(mtd) + float(kpi["run_rate_usd"]) * max(kpi["days_left"], 0)
    full_previous = previous is not None and kpi["previous_days"] > 0
    change = ((float(mtd) - float(previous)) / float(previous)
              if full_previous and mtd is not None and previous else None)
    unpriced = (kpi["unpriced_requests"] / kpi["requests"]) if kpi["requests"] else None

    tables = existing_tables(con)
    bill_mart = "reconciliation" if "reconciliation" in tables else "cost_coverage"
    explained = None
    logs = bill = None
    if bill_mart in tables:
        _, bill_rows = section.query(
            con, bill_mart, RECONCILIATION_SQL if bill_mart == "reconciliation" else COVERAGE_SQL)
        logs, bill = bill_rows[0]
        explained = float(logs) / float(bill) if bill else None

    month = kpi["month_start"].strftime("%B %Y")
    tiles = [
        _tile("total", "Total spend", usd(kpi["total_cost_usd"]), kpi["total_cost_usd"],
              "daily_costs", f"{kpi['first_day']} to {kpi['as_of']}, "
              f"{kpi['requests']:,} requests"),
        _tile("mtd", f"Month to date ({month})", usd(mtd), mtd, "daily_costs",
              f"through {kpi['as_of']}"),
        _tile("forecast", "Month forecast", usd(forecast), None, "daily_costs",
              f"7-day run rate {usd(kpi['run_rate_usd'])}/day x {max(kpi['days_left'], 0)} "
              "days left"),
        _tile("change", "vs same days last month",
              "n/a" if change is None else f"{change:+.1%}", None, "daily_costs",
              f"previous {usd(previous)}" if full_previous else "no data last month"),
        _tile("unpriced", "Unpriced requests", pct(unpriced, 2), None, "daily_costs",
              f"{kpi['unpriced_requests']:,} not in any total"),
        _tile("explained", "Bill explained by logs", pct(explained), None, bill_mart,
              f"logs {usd(logs)} of bill {usd(bill)}" if bill else "no provider bill ingested"),
    ]
    section.raw('<div class="kpis">' + "".join(tiles) + "</div>")
    return section
