"""Asset checks: the warehouse's invariants, each reported with the number of offenders.

Checks read the warehouse read-only after their asset has been written. Checks of the daily
marts cover the run's usage dates (one day, or the range of a single-run backfill); run on
their own, without a partition, they cover every day. They are not partitioned checks
(``partitions_def=`` on a check is a preview feature in dagster 1.13): the checked dates are in
their metadata instead.
"""

from datetime import date

import dagster as dg

from .partitions import partition_dates
from .resources import LlmcostResource


def _window(context: dg.AssetCheckExecutionContext) -> dict:
    dates = partition_dates(context)
    if not dates:
        return {"first_date": date.min, "last_date": date.max}
    return {"first_date": min(dates), "last_date": max(dates)}


def _checked_dates(window: dict) -> str:
    if window["first_date"] == date.min:
        return "all"
    return f"{window['first_date']} .. {window['last_date']}"


@dg.asset_check(
    asset="requests",
    blocking=True,
    description="Each day's share of unpriced requests stays within the resource's "
    "max_unpriced_share; an unknown price is never $0, so it must be fixed, not summed.",
)
def requests_unpriced_share_within_limit(
    context: dg.AssetCheckExecutionContext, llmcost: LlmcostResource
) -> dg.AssetCheckResult:
    window = _window(context)
    _, rows = llmcost.query(
        "select usage_date, count(*) as requests, count(*) filter (where not is_priced) "
        "from requests where usage_date between $first_date and $last_date "
        "group by usage_date order by usage_date",
        window,
    )
    limit = llmcost.max_unpriced_share
    over = [(day, total, unpriced) for day, total, unpriced in rows if unpriced > limit * total]
    requests = sum(total for _, total, _ in rows)
    unpriced = sum(count for _, _, count in rows)
    return dg.AssetCheckResult(
        passed=not over,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "usage_dates": _checked_dates(window),
            "unpriced_requests": unpriced,
            "requests": requests,
            "unpriced_share": unpriced / requests if requests else 0.0,
            "max_unpriced_share": limit,
            "days_over_limit": len(over),
            "worst_days": dg.MetadataValue.json(
                [{"usage_date": str(day), "requests": total, "unpriced": count}
                 for day, total, count in sorted(over, key=lambda row: row[2] / row[1],
                                                 reverse=True)[:10]]
            ),
        },
    )


@dg.asset_check(
    asset="requests",
    description="For every priced request, cost_usd equals input + cache read + cache write + "
    "output + tool cost.",
)
def requests_cost_components_add_up(
    context: dg.AssetCheckExecutionContext, llmcost: LlmcostResource
) -> dg.AssetCheckResult:
    window = _window(context)
    _, rows = llmcost.query(
        "select count(*) from requests "
        "where usage_date between $first_date and $last_date and is_priced "
        "and price_source is distinct from 'billed' "
        "and cost_usd is distinct from input_cost_usd + cache_read_cost_usd "
        "+ cache_write_cost_usd + output_cost_usd + tool_cost_usd",
        window,
    )
    mismatched = rows[0][0]
    return dg.AssetCheckResult(
        passed=mismatched == 0,
        metadata={"usage_dates": _checked_dates(window), "mismatched_requests": mismatched},
    )


@dg.asset_check(
    asset="requests",
    blocking=True,
    description="No (source, request_id) appears twice in requests: a duplicate would be billed "
    "twice in every total. Covers duplicates of this run's requests on any day.",
)
def requests_unique_per_source(
    context: dg.AssetCheckExecutionContext, llmcost: LlmcostResource
) -> dg.AssetCheckResult:
    window = _window(context)
    _, rows = llmcost.query(
        "with in_window as ("
        "    select distinct source, request_id from requests"
        "    where usage_date between $first_date and $last_date"
        ") "
        "select count(*) from ("
        "    select requests.source, requests.request_id from requests"
        "    semi join in_window"
        "        on in_window.source = requests.source"
        "        and in_window.request_id = requests.request_id"
        "    group by requests.source, requests.request_id having count(*) > 1"
        ")",
        window,
    )
    duplicated = rows[0][0]
    return dg.AssetCheckResult(
        passed=duplicated == 0,
        metadata={"usage_dates": _checked_dates(window), "duplicated_request_ids": duplicated},
    )


@dg.asset_check(
    asset="daily_costs",
    description="Per day, daily_costs adds up to the requests mart: same request count and the "
    "same cost_usd total (priced requests).",
)
def daily_costs_match_requests(
    context: dg.AssetCheckExecutionContext, llmcost: LlmcostResource
) -> dg.AssetCheckResult:
    window = _window(context)
    _, rows = llmcost.query(
        "with from_requests as ("
        "    select usage_date, count(*) as requests, coalesce(sum(cost_usd), 0) as cost_usd"
        "    from requests where usage_date between $first_date and $last_date"
        "    group by usage_date"
        "), "
        "from_daily_costs as ("
        "    select usage_date, sum(requests) as requests, sum(cost_usd) as cost_usd"
        "    from daily_costs where usage_date between $first_date and $last_date"
        "    group by usage_date"
        ") "
        "select coalesce(from_requests.usage_date, from_daily_costs.usage_date),"
        "    from_requests.requests, from_daily_costs.requests,"
        "    from_requests.cost_usd, from_daily_costs.cost_usd "
        "from from_requests full join from_daily_costs"
        "    on from_daily_costs.usage_date = from_requests.usage_date "
        "order by 1",
        window,
    )
    mismatched = [
        row for row in rows
        if row[1] != row[2] or (row[3] or 0) != (row[4] or 0)
    ]
    return dg.AssetCheckResult(
        passed=not mismatched,
        metadata={
            "usage_dates": _checked_dates(window),
            "mismatched_days": len(mismatched),
            "requests_cost_usd": float(sum(row[3] or 0 for row in rows)),
            "daily_costs_cost_usd": float(sum(row[4] or 0 for row in rows)),
            "mismatches": dg.MetadataValue.json(
                [{"usage_date": str(row[0]), "requests": row[1], "daily_costs_requests": row[2],
                  "cost_usd": str(row[3]), "daily_costs_cost_usd": str(row[4])}
                 for row in mismatched[:10]]
            ),
        },
    )


@dg.asset_check(
    asset="ingest_runs",
    description="Conservation: for every ingested file, records_read = records_loaded + "
    "records_duplicate + records_quarantined.",
)
def ingest_runs_conserve_records(llmcost: LlmcostResource) -> dg.AssetCheckResult:
    _, rows = llmcost.query(
        "select count(*) filter (where not is_balanced), count(*) from ingest_runs"
    )
    unbalanced, files = rows[0]
    return dg.AssetCheckResult(
        passed=unbalanced == 0, metadata={"unbalanced_files": unbalanced, "files": files}
    )
