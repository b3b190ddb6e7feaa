"""Data quality of the lake and the marts as Great Expectations suites, run where the data is.

Great Expectations 1.x has no DuckDB SQL datasource without the ``duckdb_engine`` SQLAlchemy
dialect, so every suite validates a pandas batch that DuckDB has already bounded:

- row suites (``lake_requests``, ``requests``, ``ingest_runs``) get only offending rows, at most
  ``sample_rows`` per rule; one aggregate query over the whole table gives each rule's exact
  offending count, written into the expectation's notes (visible in the data docs) and into
  the result. A clean table gives an empty batch: every row rule passes.
- aggregate suites (``unpriced_share``, ``daily_costs``, ``freshness``) get one row per day,
  day x provider, or source: small by construction, so Great Expectations sees all of it.

Results are kept in a file context under ``$LLMCOST_HOME/quality/gx`` and rendered as data
docs (``uncommitted/data_docs/local_site/index.html``). No Dagster import: the asset checks in
``pipelines/defs/quality_checks.py`` call ``run_suites``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.row_conditions import Column

from pipelines import pricing, warehouse
from pipelines.lake import REQUESTS, Lake
from pipelines.paths import Home

QUALITY_DIR = "quality"
DATASOURCE = "llmcost"
SAMPLE_ROWS = 1000
DETAIL_ROWS = 50
DEFAULT_FRESHNESS_HOURS = 48.0
# Who bills, as llm_provider() in pipelines/sources/macros.sql and the LiteLLM price import
# name them; providers with rows in the price book are known too. Anything else is a provider
# spelling no adapter maps yet (it would be unpriced, or priced under the wrong name).
KNOWN_PROVIDERS = frozenset({
    "openai", "anthropic", "google", "aws_bedrock", "azure_openai", "openrouter", "unknown",
    "google_vertex_anthropic", "mistral", "deepseek", "xai", "groq", "cohere", "together_ai",
    "fireworks_ai",
})

# Token columns of the lake; the mart adds the two it derives.
LAKE_TOKEN_COLUMNS = (
    "input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
    "cache_creation_1h_input_tokens", "output_tokens", "reasoning_output_tokens",
    "web_search_calls",
)
MART_TOKEN_COLUMNS = (*LAKE_TOKEN_COLUMNS, "uncached_input_tokens",
                      "cache_creation_5m_input_tokens")
# (total, subset): a subset count larger than its total is impossible under the OTel
# convention (input includes cache reads and writes; output includes reasoning).
LAKE_SUBSETS = (
    ("input_tokens", "cache_read_input_tokens"),
    ("input_tokens", "cache_creation_input_tokens"),
    ("cache_creation_input_tokens", "cache_creation_1h_input_tokens"),
    ("output_tokens", "reasoning_output_tokens"),
)
MART_SUBSETS = (
    *LAKE_SUBSETS,
    ("input_tokens", "uncached_input_tokens"),
    ("cache_creation_input_tokens", "cache_creation_5m_input_tokens"),
)
COST_COMPONENTS = ("input_cost_usd", "cache_read_cost_usd", "cache_write_cost_usd",
                   "output_cost_usd", "tool_cost_usd")


@dataclass(frozen=True)
class Rule:
    """One row-level expectation and the DuckDB predicate that is true for a row it rejects.
    The predicate bounds the batch; the expectation judges it."""

    name: str
    offending_sql: str
    expectation: Callable[[], gxe.Expectation]


@dataclass(frozen=True)
class RowSuite:
    """Rules over ``checked``: the relation plus derived columns the expectations compare."""

    name: str
    checked_sql: str
    columns: tuple[str, ...]
    rules: tuple[Rule, ...]


@dataclass
class Outcome:
    """One evaluated expectation. ``offending`` is exact: rows of the whole table for row
    suites, days / day-providers / sources for aggregate suites."""

    rule: str
    expectation_type: str
    success: bool
    offending: int
    sample: list = field(default_factory=list)


@dataclass
class SuiteResult:
    name: str
    success: bool
    checked: int
    batch_rows: int
    outcomes: list[Outcome]
    seconds: float
    # Aggregate suites: their batch (first DETAIL_ROWS rows, values as text) for metadata.
    details: list[dict] = field(default_factory=list)

    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]


@dataclass
class QualityReport:
    suites: list[SuiteResult]
    docs_index: Path
    seconds: float

    @property
    def success(self) -> bool:
        return all(suite.success for suite in self.suites)

    @property
    def expectations(self) -> int:
        return sum(len(suite.outcomes) for suite in self.suites)

    def suite(self, name: str) -> SuiteResult:
        return next(suite for suite in self.suites if suite.name == name)


# -- rules -----------------------------------------------------------------------------------

def _non_negative(column: str) -> Rule:
    return Rule(f"{column} >= 0", f"{column} < 0",
                lambda: gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))


def _subset(total: str, subset: str) -> Rule:
    return Rule(
        f"{subset} <= {total}", f"{subset} > {total}",
        lambda: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=total, column_B=subset, or_equal=True,
            ignore_row_if="either_value_is_missing"),
    )


def _request_rules(token_columns, subsets, providers: frozenset[str]) -> tuple[Rule, ...]:
    # The provider list is a bound parameter of the aggregate and batch queries ($providers).
    return (
        *(_non_negative(column) for column in token_columns),
        *(_subset(total, subset) for total, subset in subsets),
        Rule("occurred_at within usage_date", "occurred_date <> usage_date",
             lambda: gxe.ExpectColumnPairValuesToBeEqual(column_A="occurred_date",
                                                         column_B="usage_date")),
        Rule("provider known", "provider is null or not list_contains($providers, provider)",
             lambda: gxe.ExpectColumnValuesToBeInSet(column="provider",
                                                     value_set=sorted(providers))),
    )


def _requests_checked(relation: str) -> str:
    # occurred_date is the UTC day: the connection's TimeZone is UTC.
    return (f"select *, cast(occurred_at as date) as occurred_date from {relation} "
            "where usage_date between $first_date and $last_date")


def lake_requests_suite(providers: frozenset[str]) -> RowSuite:
    return RowSuite(
        "lake_requests",
        _requests_checked("lake_requests"),
        ("source", "request_id", "source_file", "source_line", "usage_date", "occurred_date",
         "provider", *LAKE_TOKEN_COLUMNS),
        _request_rules(LAKE_TOKEN_COLUMNS, LAKE_SUBSETS, providers),
    )


def requests_suite(providers: frozenset[str]) -> RowSuite:
    components = " + ".join(COST_COMPONENTS)
    checked = (
        f"select *, {components} as components_cost_usd, "
        "is_priced and price_source is distinct from 'billed' as is_list_priced "
        f"from ({_requests_checked('requests')})"
    )
    return RowSuite(
        "requests",
        checked,
        ("source", "request_id", "usage_date", "occurred_date", "provider",
         *MART_TOKEN_COLUMNS, "cost_usd", "components_cost_usd", "is_list_priced"),
        (
            *_request_rules(MART_TOKEN_COLUMNS, MART_SUBSETS, providers),
            # Billed rows (OpenRouter) carry the biller's total, not list-price components.
            Rule("cost_usd = sum of components",
                 "is_list_priced and cost_usd is distinct from components_cost_usd",
                 lambda: gxe.ExpectColumnPairValuesToBeEqual(
                     column_A="cost_usd", column_B="components_cost_usd",
                     ignore_row_if="neither",
                     row_condition=Column("is_list_priced") == True)),  # noqa: E712
        ),
    )


def ingest_runs_suite() -> RowSuite:
    counts = ("records_read", "records_loaded", "records_duplicate", "records_quarantined")
    return RowSuite(
        "ingest_runs",
        "select *, records_loaded + records_duplicate + records_quarantined "
        "as records_accounted from ingest_runs",
        ("run_id", "source", "source_file", *counts, "records_accounted"),
        (
            *(_non_negative(column) for column in counts),
            Rule("read = loaded + duplicate + quarantined",
                 "records_read is distinct from records_accounted",
                 lambda: gxe.ExpectColumnPairValuesToBeEqual(
                     column_A="records_read", column_B="records_accounted",
                     ignore_row_if="neither")),
        ),
    )


# -- aggregate batches -----------------------------------------------------------------------

UNPRICED_SHARE_SQL = """
select usage_date, count(*) as requests, count(*) filter (where not is_priced) as unpriced,
    count(*) filter (where not is_priced) / count(*) as unpriced_share
from requests
where usage_date between $first_date and $last_date
group by usage_date
order by usage_date
"""

# Logs rows only: export and export_remainder rows add spend no request log covers.
DAILY_COSTS_SQL = """
with from_requests as (
    select usage_date, provider, count(*) as requests,
        coalesce(sum(input_tokens), 0) as input_tokens,
        coalesce(sum(output_tokens), 0) as output_tokens,
        coalesce(sum(cost_usd), 0) as cost_usd
    from requests
    where usage_date between $first_date and $last_date
    group by usage_date, provider
),

from_daily_costs as (
    select usage_date, provider, sum(requests) as requests,
        coalesce(sum(input_tokens), 0) as input_tokens,
        coalesce(sum(output_tokens), 0) as output_tokens,
        coalesce(sum(cost_usd), 0) as cost_usd
    from daily_costs
    where cost_basis = 'logs' and usage_date between $first_date and $last_date
    group by usage_date, provider
)

select
    coalesce(from_requests.usage_date, from_daily_costs.usage_date) as usage_date,
    coalesce(from_requests.provider, from_daily_costs.provider) as provider,
    coalesce(from_requests.requests, 0) as requests,
    coalesce(from_daily_costs.requests, 0) as daily_costs_requests,
    coalesce(from_requests.input_tokens, 0) as input_tokens,
    coalesce(from_daily_costs.input_tokens, 0) as daily_costs_input_tokens,
    coalesce(from_requests.output_tokens, 0) as output_tokens,
    coalesce(from_daily_costs.output_tokens, 0) as daily_costs_output_tokens,
    coalesce(from_requests.cost_usd, 0) as cost_usd,
    coalesce(from_daily_costs.cost_usd, 0) as daily_costs_cost_usd
from from_requests
full join from_daily_costs
    on from_daily_costs.usage_date = from_requests.usage_date
    and from_daily_costs.provider = from_requests.provider
order by usage_date, provider
"""

# From the lake's ingest ledger, over all days whatever the window: a source's silence is about
# now, not about a partition, and the ledger knows export sources too (one row per file).
FRESHNESS_SQL = """
select source, max(max_occurred_at) as latest_occurred_at,
    round(epoch(cast($now as timestamptz) - max(max_occurred_at)) / 3600, 2)
        as hours_since_latest
from lake_ingest_runs
where max_occurred_at is not null
group by source
order by source
"""


def _pairs_equal(column_a: str, column_b: str) -> Rule:
    return Rule(f"{column_a} = {column_b}", "",
                lambda: gxe.ExpectColumnPairValuesToBeEqual(column_A=column_a,
                                                            column_B=column_b))


def _aggregate_rules(suite: str, max_unpriced_share: float) -> tuple[Rule, ...]:
    if suite == "unpriced_share":
        return (Rule(f"unpriced_share <= {max_unpriced_share}", "",
                     lambda: gxe.ExpectColumnValuesToBeBetween(
                         column="unpriced_share", min_value=0, max_value=max_unpriced_share)),)
    if suite == "daily_costs":
        return tuple(_pairs_equal(column, f"daily_costs_{column}")
                     for column in ("requests", "input_tokens", "output_tokens", "cost_usd"))
    return (Rule("hours_since_latest <= max_age_hours", "",
                 lambda: gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                     column_A="max_age_hours", column_B="hours_since_latest",
                     or_equal=True)),)


ROW_SUITES = ("lake_requests", "requests", "ingest_runs")
AGGREGATE_SUITES = ("unpriced_share", "daily_costs", "freshness")
SUITES = ROW_SUITES + AGGREGATE_SUITES
LAKE_SUITES = ("lake_requests", "freshness")


# -- running ---------------------------------------------------------------------------------

def known_providers(home: Home) -> frozenset[str]:
    rows = pricing.load(home).rows
    return KNOWN_PROVIDERS | frozenset(rows.column("provider").to_pylist())


def docs_index(home: Home) -> Path:
    return (home.root / QUALITY_DIR / "gx" / "uncommitted" / "data_docs" / "local_site"
            / "index.html")


def context(home: Home):
    """The file context under $LLMCOST_HOME/quality (created on first use)."""
    root = home.root / QUALITY_DIR
    root.mkdir(parents=True, exist_ok=True)
    gx_context = gx.get_context(mode="file", project_root_dir=str(root))
    if gx_context.variables.progress_bars is None or gx_context.config.analytics_enabled:
        gx_context.variables.progress_bars = ProgressBarsConfig(globally=False)
        gx_context.config.analytics_enabled = False
        gx_context.variables.save()
    return gx_context


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pd.DataFrame:
    cursor = con.execute(sql, params)
    columns = [column[0] for column in cursor.description]
    return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def _used_params(sql: str, params: dict) -> dict:
    return {name: value for name, value in params.items() if f"${name}" in sql}


def _row_batch(con, suite: RowSuite, params: dict, sample_rows: int):
    """Exact offending counts per rule (one scan), and a batch of at most ``sample_rows``
    offending rows per rule."""
    counts_sql = (f"with checked as ({suite.checked_sql}) select count(*), "
                  + ", ".join(f"count(*) filter (where {rule.offending_sql})"
                              for rule in suite.rules)
                  + " from checked")
    total, *offending = con.execute(counts_sql, _used_params(counts_sql, params)).fetchall()[0]
    select = ", ".join(suite.columns)
    # Only rules with offenders query for rows: a clean table costs one scan.
    parts = [f"(select {select} from checked where {rule.offending_sql} limit $sample_rows)"
             for rule, count in zip(suite.rules, offending, strict=True) if count]
    if parts:
        batch_sql = f"with checked as ({suite.checked_sql}) " + " union ".join(parts)
        batch = _frame(con, batch_sql,
                       _used_params(batch_sql, {**params, "sample_rows": sample_rows}))
    else:
        batch = pd.DataFrame({column: pd.Series(dtype=object) for column in suite.columns})
    return total, dict(zip((rule.name for rule in suite.rules), offending, strict=True)), batch


def _validate(gx_context, name: str, rules: tuple[Rule, ...], batch: pd.DataFrame,
              notes: Mapping[str, str]):
    source = gx_context.data_sources.add_or_update_pandas(DATASOURCE)
    asset = next((a for a in source.assets if a.name == name), None) or \
        source.add_dataframe_asset(name)
    batch_definition = next((b for b in asset.batch_definitions if b.name == name), None) or \
        asset.add_batch_definition_whole_dataframe(name)
    suite = gx.ExpectationSuite(name=name)
    for rule in rules:
        expectation = rule.expectation()
        expectation.meta = {"rule": rule.name}
        expectation.notes = notes.get(rule.name)
        suite.add_expectation(expectation)
    suite = gx_context.suites.add_or_update(suite)
    validation = gx_context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite))
    checkpoint = gx_context.checkpoints.add_or_update(gx.Checkpoint(
        name=name, validation_definitions=[validation],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
    ))
    result = checkpoint.run(batch_parameters={"dataframe": batch})
    (run,) = result.run_results.values()
    return run.results


def _plain(value):
    """A JSON-friendly value: numpy scalars to Python, pairs to lists, the rest as text."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, str | int | float | bool | None) else str(value)


def _sample(result) -> list:
    return [_plain(value) for value in result.result.get("partial_unexpected_list", [])[:5]]


def _run_row_suite(gx_context, con, suite: RowSuite, params: dict,
                   sample_rows: int) -> SuiteResult:
    started = time.monotonic()
    total, offending, batch = _row_batch(con, suite, params, sample_rows)
    notes = {name: f"{count:,} of {total:,} rows offend; the batch holds at most "
                   f"{sample_rows:,} of them" for name, count in offending.items()}
    results = _validate(gx_context, suite.name, suite.rules, batch, notes)
    outcomes = [
        Outcome(result.expectation_config.meta["rule"], result.expectation_config.type,
                # Both must agree: the SQL count sees every row, the expectation the batch.
                bool(result.success) and offending[result.expectation_config.meta["rule"]] == 0,
                offending[result.expectation_config.meta["rule"]], _sample(result))
        for result in results
    ]
    return SuiteResult(suite.name, all(o.success for o in outcomes), total, len(batch),
                       outcomes, time.monotonic() - started)


def _run_aggregate_suite(gx_context, con, name: str, params: dict, max_unpriced_share: float,
                         freshness_hours: Mapping[str, float],
                         default_freshness_hours: float) -> SuiteResult:
    started = time.monotonic()
    sql = {"unpriced_share": UNPRICED_SHARE_SQL, "daily_costs": DAILY_COSTS_SQL,
           "freshness": FRESHNESS_SQL}[name]
    batch = _frame(con, sql, _used_params(sql, params))
    if name == "freshness":
        batch["max_age_hours"] = [float(freshness_hours.get(source, default_freshness_hours))
                                  for source in batch["source"]]
        batch["hours_since_latest"] = batch["hours_since_latest"].astype(float)
    rules = _aggregate_rules(name, max_unpriced_share)
    results = _validate(gx_context, name, rules, batch, {})
    outcomes = [
        Outcome(result.expectation_config.meta["rule"], result.expectation_config.type,
                bool(result.success), int(result.result.get("unexpected_count") or 0),
                _sample(result))
        for result in results
    ]
    details = [{column: str(value) for column, value in row.items()}
               for row in batch.head(DETAIL_ROWS).to_dict("records")]
    return SuiteResult(name, all(o.success for o in outcomes), len(batch), len(batch), outcomes,
                       time.monotonic() - started, details)


def _lake_connection(home: Home, first_date: date, last_date: date):
    """An in-memory DuckDB with ``lake_requests`` bound exactly as the build binds it:
    committed runs only, limited to the window's days."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    lake = Lake(home.lake)
    days = {day for f in lake.files(REQUESTS) for day in f.usage_dates
            if first_date <= day <= last_date}
    warehouse._set_build_dates(con, days)
    warehouse._bind_lake(con, lake)
    return con


def run_suites(home: Home, *, suites: Iterable[str] = SUITES, first_date: date = date.min,
               last_date: date = date.max, max_unpriced_share: float = 0.01,
               freshness_hours: Mapping[str, float] | None = None,
               default_freshness_hours: float = DEFAULT_FRESHNESS_HOURS,
               now: datetime | None = None, sample_rows: int = SAMPLE_ROWS) -> QualityReport:
    """Run the named suites (all by default) over the usage dates in [first_date, last_date],
    update the data docs, and return every expectation's outcome."""
    started = time.monotonic()
    names = list(suites)
    unknown = set(names) - set(SUITES)
    if unknown:
        raise ValueError(f"unknown suite(s) {sorted(unknown)}; known: {', '.join(SUITES)}")
    providers = known_providers(home)
    params = {"first_date": first_date, "last_date": last_date,
              "now": now or datetime.now(UTC), "providers": sorted(providers)}
    row_suites = {"lake_requests": lake_requests_suite(providers),
                  "requests": requests_suite(providers), "ingest_runs": ingest_runs_suite()}
    gx_context = context(home)
    results = []
    for name in names:
        if name in LAKE_SUITES:
            con = _lake_connection(home, first_date, last_date)
        else:
            con = warehouse.open_read_only(home)
        try:
            if name in row_suites:
                results.append(_run_row_suite(gx_context, con, row_suites[name], params,
                                              sample_rows))
            else:
                results.append(_run_aggregate_suite(
                    gx_context, con, name, params, max_unpriced_share, freshness_hours or {},
                    default_freshness_hours))
        finally:
            con.close()
    return QualityReport(results, docs_index(home), time.monotonic() - started)


def summary(report: QualityReport) -> str:
    """Plain-text lines: one per suite, one per failed expectation."""
    lines = []
    for suite in report.suites:
        status = "ok" if suite.success else "FAILED"
        lines.append(f"{suite.name:<15} {status:<6} {len(suite.outcomes)} expectations over "
                     f"{suite.checked:,} rows ({suite.seconds:.2f}s)")
        lines.extend(f"  - {outcome.rule}: {outcome.offending:,} offending "
                     f"{outcome.sample}" for outcome in suite.failed())
    lines.append(f"{report.expectations} expectations in {report.seconds:.1f}s; "
                 f"data docs: {report.docs_index}")
    return "\n".join(lines)
