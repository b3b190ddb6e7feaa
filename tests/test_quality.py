"""Great Expectations suites over a small real warehouse: all pass on clean data, and each
breakage fails its own expectation with the exact offending count.

Quirks protected here: Great Expectations 1.x has no DuckDB datasource without an extra
SQLAlchemy dialect, so suites validate batches DuckDB has already bounded (offending rows only,
or per-day aggregates); a clean table therefore yields an *empty* batch, which must pass, while
the offending count must still be exact when it exceeds the batch. A lake file written behind
the ingest's back (negative tokens) is only caught by reading the lake itself; an ingest ledger
row that does not balance is caught even though every data file is fine; a source that went
silent is a warning, not a failed build.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import envelope, ingest, recorded_bodies, write_jsonl

from pipelines import quality, warehouse
from pipelines.defs import assets, quality_checks
from pipelines.defs.resources import LlmcostResource
from pipelines.lake import INGEST_RUNS, REQUESTS, Lake
from pipelines.paths import Home

CHAT_FILE = "openai/chat_completions_gpt-4o-mini.response.json"
DAY_1, DAY_2 = "2025-09-12", "2025-09-13"
# A day after the last request: every source is fresh under the 48 h default.
NOW = datetime(2025, 9, 14, 12, tzinfo=UTC)
# Day 2 holds one priced and one unpriced request: a share of 0.5.
LENIENT = {"max_unpriced_share": 0.5, "now": NOW}


def captures() -> list[dict]:
    (body,) = recorded_bodies(CHAT_FILE)
    unknown = dict(body, model="in-house-model-7")
    return [
        envelope(body, request_id="q-1", started_at=f"{DAY_1}T09:00:00Z",
                 request={"model": "gpt-4o-mini"}),
        envelope(body, request_id="q-2", started_at=f"{DAY_1}T23:59:59Z",
                 request={"model": "gpt-4o-mini"}),
        envelope(body, request_id="q-3", started_at=f"{DAY_2}T08:00:00Z",
                 request={"model": "gpt-4o-mini"}),
        envelope(unknown, request_id="q-4", started_at=f"{DAY_2}T10:00:00Z",
                 request={"model": "in-house-model-7"}),
    ]


@pytest.fixture
def small_home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    (result,) = ingest(home, write_jsonl(tmp_path / "captures.jsonl", captures()), "openai")
    assert (result.records_loaded, result.records_quarantined) == (4, 0)
    warehouse.build(home)
    return home


def failures(report: quality.QualityReport, suite: str) -> dict[str, int]:
    return {outcome.rule: outcome.offending for outcome in report.suite(suite).failed()}


def rewrite_parquet(path: Path, column: str, change, *, day: str | None = None,
                    every_row: bool = False) -> None:
    """Change `column` in the file's first row (or every row), counting only the rows of
    `day` when given (a run file holds all the days of its run)."""
    table = pq.read_table(path)
    rows = list(range(table.num_rows)) if day is None else [
        index for index, d in enumerate(table.column("usage_date").to_pylist())
        if d.isoformat() == day]
    chosen = set(rows if every_row else rows[:1])
    values = [change(value) if index in chosen else value
              for index, value in enumerate(table.column(column).to_pylist())]
    index = table.schema.get_field_index(column)
    table = table.set_column(index, table.schema.field(index),
                             pa.array(values, table.schema.field(index).type))
    pq.write_table(table, path)


def run_file_of(home: Home, day: str) -> Path:
    """The lake requests file holding the rows of `day` (one file per ingest run)."""
    (path,) = [f.path for f in Lake(home.lake).files(REQUESTS)
               if day in {d.isoformat() for d in f.usage_dates}]
    return path


def test_clean_warehouse_passes_every_suite_and_writes_data_docs(small_home: Home):
    report = quality.run_suites(small_home, **LENIENT)

    assert report.success, quality.summary(report)
    assert [suite.name for suite in report.suites] == list(quality.SUITES)
    assert report.suite("requests").checked == 4
    assert report.suite("requests").batch_rows == 0
    assert report.expectations == sum(len(suite.outcomes) for suite in report.suites) == 42
    assert report.docs_index.is_file()
    assert report.docs_index == small_home.root / "quality" / "gx" / "uncommitted" / \
        "data_docs" / "local_site" / "index.html"


def test_negative_tokens_in_the_lake_fail_lake_and_mart_suites(small_home: Home):
    rewrite_parquet(run_file_of(small_home, DAY_1), "input_tokens", lambda value: -5, day=DAY_1)

    lake = quality.run_suites(small_home, suites=["lake_requests"], **LENIENT)
    # Cache counts of 0 now exceed an input of -5 as well: each rule counts its own rows.
    assert failures(lake, "lake_requests") == {
        "input_tokens >= 0": 1,
        "cache_read_input_tokens <= input_tokens": 1,
        "cache_creation_input_tokens <= input_tokens": 1,
    }
    assert lake.suite("lake_requests").checked == 4

    warehouse.build(small_home, full=True)
    mart = quality.run_suites(small_home, suites=["requests"], **LENIENT)
    assert failures(mart, "requests")["input_tokens >= 0"] == 1
    assert not mart.success


def test_offending_count_is_exact_beyond_the_batch(small_home: Home):
    rewrite_parquet(run_file_of(small_home, DAY_1), "output_tokens", lambda value: -1,
                    day=DAY_1, every_row=True)

    report = quality.run_suites(small_home, suites=["lake_requests"], sample_rows=1, **LENIENT)
    assert report.suite("lake_requests").batch_rows <= 2
    assert failures(report, "lake_requests")["output_tokens >= 0"] == 2


def test_unbalanced_ingest_run_fails_conservation(small_home: Home):
    (ledger,) = [f.path for f in Lake(small_home.lake).files(INGEST_RUNS)]
    rewrite_parquet(ledger, "records_read", lambda value: value + 2)
    warehouse.build(small_home)

    report = quality.run_suites(small_home, suites=["ingest_runs"], **LENIENT)
    assert failures(report, "ingest_runs") == {"read = loaded + duplicate + quarantined": 1}


def test_unpriced_share_threshold_is_a_parameter(small_home: Home):
    strict = quality.run_suites(small_home, suites=["unpriced_share"], now=NOW,
                                max_unpriced_share=0.01)
    assert failures(strict, "unpriced_share") == {"unpriced_share <= 0.01": 1}
    assert strict.suite("unpriced_share").details[1]["unpriced_share"] == "0.5"


def test_daily_costs_must_equal_requests_per_day_and_provider(small_home: Home):
    con = duckdb.connect(str(small_home.warehouse))
    con.execute("update daily_costs set requests = requests + 1 "
                "where usage_date = ? and model = 'gpt-4o-mini'", [DAY_2])
    con.close()

    report = quality.run_suites(small_home, suites=["daily_costs"], **LENIENT)
    assert failures(report, "daily_costs") == {"requests = daily_costs_requests": 1}


def test_silent_source_is_stale_after_its_limit(small_home: Home):
    later = datetime(2025, 9, 20, tzinfo=UTC)
    stale = quality.run_suites(small_home, suites=["freshness"], now=later)
    assert failures(stale, "freshness") == {"hours_since_latest <= max_age_hours": 1}
    assert stale.suite("freshness").details[0]["source"] == "openai"

    patient = quality.run_suites(small_home, suites=["freshness"], now=later,
                                 freshness_hours={"openai": 24 * 14})
    assert patient.success


@pytest.mark.e2e
def test_dagster_checks_pass_then_fail_loudly(tmp_path: Path):
    home = tmp_path / "home"
    write_jsonl(home / "landing" / "openai" / "captures.jsonl", captures())
    resources = {"llmcost": LlmcostResource(home=str(home), max_unpriced_share=0.5)}
    everything = [assets.lake, *assets.mart_assets, *quality_checks.quality_checks]

    def run(*keys: str, partition_key: str | None = None, **kwargs):
        result = dg.materialize(everything, selection=dg.AssetSelection.assets(*keys),
                                partition_key=partition_key, resources=resources,
                                instance=instance, **kwargs)
        return result, {evaluation.check_name: evaluation
                        for evaluation in result.get_asset_check_evaluations()}

    with dg.instance_for_test() as instance:
        lake, lake_checks = run("lake_requests", "lake_quarantine", "lake_ingest_runs",
                                "lake_usage_buckets")
        assert lake.success
        assert lake_checks["lake_requests_expectations"].passed
        # The sample is from 2025: the ingest ledger says openai has been silent since.
        freshness = lake_checks["source_freshness"]
        assert not freshness.passed
        assert freshness.severity == dg.AssetCheckSeverity.WARN

        built, built_checks = run("requests", "daily_costs", partition_key=DAY_2)
        assert built.success
        assert built_checks["requests_expectations"].passed
        assert built_checks["daily_costs_expectations"].passed
        metadata = built_checks["requests_expectations"].metadata
        assert metadata["expectations"].value == 19
        assert Path(metadata["data_docs"].value).is_file()

        rewrite_parquet(run_file_of(Home(home), DAY_2), "reasoning_output_tokens",
                        lambda value: 10_000, day=DAY_2)
        broken, broken_checks = run("requests", partition_key=DAY_2, raise_on_error=False)

    # Blocking and ERROR: the failed check fails the run.
    assert not broken.success
    failed = broken_checks["requests_expectations"]
    assert not failed.passed
    assert failed.severity == dg.AssetCheckSeverity.ERROR
    assert failed.metadata["failures"].value == [
        {"suite": "requests", "rule": "reasoning_output_tokens <= output_tokens",
         "offending": 1, "sample": [[5, 10_000]]},
    ]
