"""Assets: the lake (landing files -> Parquet) and one asset per warehouse mart.

Each asset is wiring around ``pipelines.ingest.ingest_paths`` or ``pipelines.warehouse.build``:
read its window (the partition's usage dates, or everything new in landing/), call, then report
what it wrote as metadata. Mart descriptions are the grain comments at the top of ``sql/marts``.
"""

import os
from dataclasses import dataclass
from decimal import Decimal

import dagster as dg

from pipelines.ingest import FileResult, ingest_paths
from pipelines.sources import SOURCES
from pipelines.warehouse import build, sql_text

from .partitions import daily_partitions, partition_dates
from .resources import LlmcostResource

PREVIEW_ROWS = 10
USAGE_SOURCES = {name for name, source in SOURCES.items() if source.table == "usage_buckets"}

# Keys, not AssetSpecs, at module level: the defs loader would load a module-level spec as an
# external asset of the same key.
LAKE_REQUESTS = dg.AssetKey("lake_requests")
LAKE_QUARANTINE = dg.AssetKey("lake_quarantine")
LAKE_INGEST_RUNS = dg.AssetKey("lake_ingest_runs")
LAKE_USAGE_BUCKETS = dg.AssetKey("lake_usage_buckets")


@dg.multi_asset(
    name="lake",
    specs=[
        dg.AssetSpec(
            LAKE_REQUESTS,
            description="Canonical request rows in lake/requests/ (Parquet by source and "
            "usage_date), one row per request (source x request_id), from files under landing/.",
            group_name="lake",
            kinds={"parquet"},
        ),
        dg.AssetSpec(
            LAKE_USAGE_BUCKETS,
            description="Provider usage and cost export buckets in lake/usage_buckets/ (Parquet "
            "by source and usage_date), one row per bucket version, from files under landing/.",
            group_name="lake",
            kinds={"parquet"},
        ),
        dg.AssetSpec(
            LAKE_QUARANTINE,
            description="Rejected and duplicate records in lake/quarantine/, one row per record "
            "(file x line) with the reason it was not loaded.",
            group_name="lake",
            kinds={"parquet"},
        ),
        dg.AssetSpec(
            LAKE_INGEST_RUNS,
            description="Ingest commit markers in lake/ingest_runs/, one row per ingested file "
            "with its record counts.",
            group_name="lake",
            kinds={"parquet"},
        ),
    ],
)
def lake(context: dg.AssetExecutionContext, llmcost: LlmcostResource):
    """Ingest every file under landing/ whose content is not in the lake yet."""
    home = llmcost.data_home().ensure()
    results = ingest_paths([home.landing], home, progress=context.log.info)
    loaded = [result for result in results if result.status == "loaded"]

    def total(field: str) -> int:
        return sum(getattr(result, field) for result in loaded)

    usage_dates = sorted({day for result in loaded for day in result.usage_dates})
    context.log.info(
        f"{len(loaded)} file(s) loaded, {len(results) - len(loaded)} skipped; "
        f"usage dates touched: {', '.join(usage_dates) or 'none'}"
    )
    yield dg.MaterializeResult(
        asset_key=LAKE_REQUESTS,
        metadata={
            "records_loaded": total("records_loaded"),
            "records_duplicate": total("records_duplicate"),
            # The lake sensor builds these partitions; keep the key and the JSON list shape.
            "usage_dates": dg.MetadataValue.json(usage_dates),
        },
    )
    yield dg.MaterializeResult(
        asset_key=LAKE_USAGE_BUCKETS,
        metadata={"files_loaded": sum(r.source in USAGE_SOURCES for r in loaded)},
    )
    yield dg.MaterializeResult(
        asset_key=LAKE_QUARANTINE,
        metadata={"records_quarantined": total("records_quarantined")},
    )
    yield dg.MaterializeResult(
        asset_key=LAKE_INGEST_RUNS,
        metadata={
            "files_loaded": len(loaded),
            "files_skipped": len(results) - len(loaded),
            "records_read": total("records_read"),
            "records_loaded": total("records_loaded"),
            "records_duplicate": total("records_duplicate"),
            "records_quarantined": total("records_quarantined"),
            "preview": dg.MetadataValue.md(_files_table(results)),
        },
    )


def _files_table(results: list[FileResult]) -> str:
    columns = ["file", "source", "status", "read", "loaded", "duplicate", "quarantined"]
    rows = [
        (r.path, r.source, r.status, r.records_read, r.records_loaded, r.records_duplicate,
         r.records_quarantined)
        for r in results[:PREVIEW_ROWS]
    ]
    note = f"\n\n{len(results) - PREVIEW_ROWS} more file(s)" if len(results) > PREVIEW_ROWS else ""
    return _markdown(columns, rows) + note


@dataclass(frozen=True)
class Mart:
    """A warehouse mart as an asset. ``summary_sql`` returns one row of metrics (its first
    column is the row count); partitioned marts' SQL filters on $first_date/$last_date."""

    name: str
    deps: tuple[str, ...]
    partitioned: bool
    summary_sql: str
    preview_sql: str


MARTS = (
    Mart(
        "requests", ("lake_requests",), True,
        "select count(*) as row_count, coalesce(sum(cost_usd), 0) as cost_usd, "
        "count(*) filter (where not is_priced) as unpriced_requests "
        "from requests where usage_date between $first_date and $last_date",
        "select provider, model, count(*) as requests, sum(cost_usd) as cost_usd, "
        "count(*) filter (where not is_priced) as unpriced_requests "
        "from requests where usage_date between $first_date and $last_date "
        "group by provider, model order by cost_usd desc nulls last limit $limit",
    ),
    Mart(
        "usage_buckets", ("lake_usage_buckets",), False,
        "select count(*) as row_count, "
        "coalesce(sum(cost_usd) filter (where kind = 'usage'), 0) as usage_cost_usd, "
        "coalesce(sum(cost_usd) filter (where kind = 'cost'), 0) as billed_usd from usage_buckets",
        "select usage_date, provider, kind, model, team, sum(cost_usd) as cost_usd "
        "from usage_buckets group by all order by usage_date desc, cost_usd desc limit $limit",
    ),
    Mart(
        "daily_costs", ("requests", "usage_buckets"), True,
        "select count(*) as row_count, coalesce(sum(requests), 0) as requests, "
        "coalesce(sum(cost_usd), 0) as cost_usd, "
        "coalesce(sum(unpriced_requests), 0) as unpriced_requests "
        "from daily_costs where usage_date between $first_date and $last_date",
        "select usage_date, provider, model, team, feature, environment, requests, cost_usd "
        "from daily_costs where usage_date between $first_date and $last_date "
        "order by cost_usd desc limit $limit",
    ),
    Mart(
        "session_costs", ("requests",), False,
        "select count(*) as row_count, coalesce(sum(cost_usd), 0) as cost_usd from session_costs",
        "select source, session_id, team, feature, calls, models, cost_usd from session_costs "
        "order by cost_usd desc limit $limit",
    ),
    Mart(
        "cost_coverage", ("requests", "usage_buckets"), False,
        "select count(*) as row_count, coalesce(sum(remainder_usd), 0) as remainder_usd "
        "from cost_coverage",
        "select usage_date, provider, bill_basis, logs_cost_usd, bill_usd, explained_share "
        "from cost_coverage order by usage_date desc limit $limit",
    ),
    Mart(
        "reconciliation", ("requests", "usage_buckets", "prices"), False,
        "select count(*) as row_count, coalesce(sum(billed_usd), 0) as billed_usd, "
        "coalesce(sum(residual_usd), 0) as residual_usd, "
        "count(*) filter (where status = 'unexplained') as unexplained_cells "
        "from reconciliation",
        "select usage_date, provider, model, account, status, logs_cost_usd, billed_usd, "
        "residual_usd from reconciliation order by abs(residual_usd) desc, usage_date desc "
        "limit $limit",
    ),
    Mart(
        "quarantine", ("lake_quarantine",), False,
        "select count(*) as row_count, count(*) filter (where not is_duplicate) as rejected "
        "from quarantine",
        "select source, reason_code, count(*) as records from quarantine "
        "group by source, reason_code order by records desc limit $limit",
    ),
    Mart(
        "ingest_runs", ("lake_ingest_runs",), False,
        "select count(*) as row_count, coalesce(sum(records_read), 0) as records_read "
        "from ingest_runs",
        "select source_file, source, records_read, records_loaded, records_duplicate, "
        "records_quarantined, ingested_at from ingest_runs order by ingested_at desc limit $limit",
    ),
    Mart(
        "prices", (), False,
        "select count(*) as row_count from prices",
        "select price_source, provider, count(*) as price_rows from prices "
        "group by price_source, provider order by price_source, provider limit $limit",
    ),
    Mart(
        "unpriced_models", ("requests", "usage_buckets"), False,
        "select count(*) as row_count, coalesce(sum(requests), 0) as unpriced_requests "
        "from unpriced_models",
        "select provider, model_raw, resolved_model, requests, closest_known_ids "
        "from unpriced_models order by requests desc limit $limit",
    ),
)


def _grain(name: str) -> str:
    """The mart's leading SQL comment block, which states its grain first."""
    lines = []
    for line in sql_text("marts", name).splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


def _backfill_policy() -> dg.BackfillPolicy:
    """Embedded: warehouse.build takes many dates in one transaction and one writer at a time,
    so a backfill is one run. With a shared warehouse, LLMCOST_BACKFILL_DAYS_PER_RUN=N splits
    a backfill (a re-price of history) into runs of N days that workers build in parallel."""
    days = os.environ.get("LLMCOST_BACKFILL_DAYS_PER_RUN", "").strip()
    if not days:
        return dg.BackfillPolicy.single_run()
    if not days.isdigit() or int(days) < 1:
        raise ValueError(f"LLMCOST_BACKFILL_DAYS_PER_RUN={days!r}: expected a whole number "
                         "of days >= 1")
    return dg.BackfillPolicy.multi_run(max_partitions_per_run=int(days))


def _mart_asset(mart: Mart) -> dg.AssetsDefinition:
    @dg.asset(
        name=mart.name,
        deps=list(mart.deps),
        description=_grain(mart.name),
        group_name="marts",
        kinds={"duckdb"},
        partitions_def=daily_partitions if mart.partitioned else None,
        backfill_policy=_backfill_policy() if mart.partitioned else None,
    )
    def _asset(context: dg.AssetExecutionContext, llmcost: LlmcostResource) -> dg.MaterializeResult:
        dates = partition_dates(context) if mart.partitioned else []
        home = llmcost.data_home()
        result = build(home, dates=dates, marts=(mart.name,), progress=context.log.info)
        if result.full and mart.partitioned:
            # Dagster records a materialisation for this run's partitions only.
            context.log.warning(
                f"{result.reason}: rebuilt {mart.name} for all {len(result.dates)} day(s) in the "
                f"lake, not only this run's {len(dates)}"
            )
        params = {"first_date": min(dates), "last_date": max(dates)} if dates else {}
        columns, rows = llmcost.query(mart.summary_sql, params)
        summary = dict(zip(columns, rows[0], strict=True))
        preview_columns, preview_rows = llmcost.query(
            mart.preview_sql, {**params, "limit": PREVIEW_ROWS}
        )
        metadata = {
            "dagster/row_count": summary.pop("row_count"),
            **{key: _metadata_number(value) for key, value in summary.items()},
            "preview": dg.MetadataValue.md(_markdown(preview_columns, preview_rows)),
        }
        if mart.partitioned:
            metadata["usage_dates"] = f"{min(dates)} .. {max(dates)}"
            metadata["build_reason"] = result.reason
        return dg.MaterializeResult(metadata=metadata)

    return _asset


def _metadata_number(value):
    return float(value) if isinstance(value, Decimal) else value


def _markdown(columns: list[str], rows: list[tuple]) -> str:
    def cell(value) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


mart_assets = [_mart_asset(mart) for mart in MARTS]
