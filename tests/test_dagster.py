"""The Dagster layer runs the real pipeline: definitions load, and a LiteLLM spend log dropped
into landing/ ends up priced in warehouse.duckdb through Dagster materialisations, checks and
sensors.

Quirks protected here: Dagster puts only one partitions definition in a job, so the lake and
the daily marts are separate jobs joined by a sensor; @asset_sensor reads only the latest
materialisation per tick (two ingests in one interval would lose the first one's dates), so
the lake sensor pages through all of them; a file still being written into landing/ must not be
ingested half-way; a single-run backfill hands the assets a range of days, not one key; a price
change seen first by one job's build must still re-price every day in the next daily build.
"""

from __future__ import annotations

import copy
import os
import shutil
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
from conftest import fixture_json, fixture_path, query, write_jsonl

from pipelines.definitions import defs
from pipelines.defs import assets, checks, sensors
from pipelines.defs.partitions import daily_partitions
from pipelines.defs.resources import LlmcostResource
from pipelines.paths import PRICING_DIR, Home

SAMPLE = "litellm/spend_logs_payload.json"
SAMPLE_DAY = "2025-01-24"
# gpt-4o from 2024-10-03: $2.50 input / $10 output per 1M tokens; 10 prompt + 20 completion.
SAMPLE_COST = Decimal("0.000225")
CHECKS = [value for value in vars(checks).values() if isinstance(value, dg.AssetChecksDefinition)]
EVERYTHING = [assets.lake, *assets.mart_assets, *CHECKS]


def settled(path: Path) -> Path:
    """Age a file past the landing sensor's settle time, as if written minutes ago."""
    past = time.time() - sensors.SETTLE_SECONDS - 60
    os.utime(path, (past, past))
    return path


def landing_sample(home: Path) -> Path:
    target = home / "landing" / "litellm" / "spend_logs_payload.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(fixture_path(SAMPLE), target)
    return settled(target)


def resources(home: Path) -> dict:
    return {"llmcost": LlmcostResource(home=str(home))}


def materialize(home: Path, instance: dg.DagsterInstance, *keys: str,
                partition_key: str | None = None) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        EVERYTHING, selection=dg.AssetSelection.assets(*keys), partition_key=partition_key,
        resources=resources(home), instance=instance,
    )
    assert result.success
    return result


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {evaluation.check_name: evaluation.passed
            for evaluation in result.get_asset_check_evaluations()}


def test_definitions_load():
    loaded = defs()
    graph = loaded.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == {
        "lake_requests", "lake_quarantine", "lake_ingest_runs", "lake_usage_buckets",
        "requests", "usage_buckets", "daily_costs", "session_costs", "cost_coverage",
        "quarantine", "ingest_runs", "prices", "reconciliation", "focus_export",
        "cache_opportunities", "semantic_cache_sweep", "prompt_cache_opportunities",
        "prompt_waste", "routing_opportunities", "routing_curve", "savings_runs",
    }
    assert {key.name for key in graph.asset_check_keys} == {
        "requests_unpriced_share_within_limit", "requests_cost_components_add_up",
        "requests_unique_per_source", "daily_costs_match_requests",
        "ingest_runs_conserve_records", "lake_requests_expectations", "requests_expectations",
        "daily_costs_expectations", "ingest_runs_expectations", "source_freshness",
    }
    ingest_job = loaded.resolve_job_def("ingest_job")
    assert ingest_job.partitions_def is None
    daily_build_job = loaded.resolve_job_def("daily_build_job")
    assert daily_build_job.partitions_def == daily_partitions
    assert {key.to_user_string() for key in daily_build_job.asset_layer.executable_asset_keys} == {
        "requests", "usage_buckets", "daily_costs", "session_costs", "cost_coverage", "prices",
        "reconciliation", "focus_export",
    }
    assert loaded.resolve_schedule_def("nightly_ingest").cron_schedule == "30 1 * * *"
    assert loaded.resolve_schedule_def("nightly_daily_build").cron_schedule == "0 2 * * *"
    assert loaded.resolve_schedule_def("nightly_savings").cron_schedule == "30 2 * * *"
    savings_job = loaded.resolve_job_def("savings_job")
    assert {key.to_user_string() for key in savings_job.asset_layer.executable_asset_keys} == {
        "cache_opportunities", "semantic_cache_sweep", "prompt_cache_opportunities",
        "prompt_waste", "routing_opportunities", "routing_curve", "savings_runs",
    }
    assert {sensor.name for sensor in loaded.sensors} == {"landing_sensor", "lake_dates_sensor"}


@pytest.mark.e2e
def test_landing_file_to_priced_marts(tmp_path: Path):
    home = tmp_path / "home"
    landing_sample(home)

    with dg.instance_for_test() as instance:
        sensor_context = dg.build_sensor_context(instance=instance, resources=resources(home))
        first = sensors.landing_sensor(sensor_context)
        assert len(first.run_requests) == 1
        assert first.run_requests[0].tags["llmcost/new_files"] == "1"
        again = sensors.landing_sensor(dg.build_sensor_context(
            instance=instance, cursor=first.cursor, resources=resources(home)))
        assert not again.run_requests

        lake = materialize(home, instance, "lake_requests", "lake_quarantine", "lake_ingest_runs",
                           "lake_usage_buckets")
        lake_metadata = lake.asset_materializations_for_node("lake")[0].metadata
        assert lake_metadata["usage_dates"].value == [SAMPLE_DAY]
        assert lake_metadata["records_loaded"].value == 1

        dates_sensor = sensors.lake_dates_sensor(dg.build_sensor_context(instance=instance))
        assert [request.partition_key for request in dates_sensor.run_requests] == [SAMPLE_DAY]
        no_news = sensors.lake_dates_sensor(
            dg.build_sensor_context(instance=instance, cursor=dates_sensor.cursor))
        assert isinstance(no_news, dg.SkipReason)

        built = materialize(home, instance, "requests", partition_key=SAMPLE_DAY)
        metadata = built.asset_materializations_for_node("requests")[0].metadata
        assert metadata["dagster/row_count"].value == 1
        assert metadata["unpriced_requests"].value == 0
        daily = materialize(home, instance, "daily_costs", partition_key=SAMPLE_DAY)
        whole = materialize(home, instance, "session_costs", "quarantine", "ingest_runs", "prices")

    assert check_results(built) == {
        "requests_unpriced_share_within_limit": True,
        "requests_cost_components_add_up": True,
        "requests_unique_per_source": True,
    }
    assert check_results(daily) == {"daily_costs_match_requests": True}
    assert check_results(whole) == {"ingest_runs_conserve_records": True}

    warehouse = Home(home)
    (request,) = query(warehouse, "SELECT * FROM requests")
    assert request["usage_date"] == date(2025, 1, 24)
    assert (request["model"], request["input_tokens"], request["output_tokens"]) == (
        "gpt-4o", 10, 20)
    assert request["cost_usd"] == SAMPLE_COST
    (day,) = query(warehouse, "SELECT * FROM daily_costs")
    assert (day["requests"], day["cost_usd"]) == (1, SAMPLE_COST)
    (session,) = query(warehouse, "SELECT * FROM session_costs")
    assert session["cost_usd"] == SAMPLE_COST
    (run,) = query(warehouse, "SELECT * FROM ingest_runs")
    assert (run["records_read"], run["records_loaded"], run["is_balanced"]) == (1, 1, True)
    assert query(warehouse, "SELECT count(*) AS n FROM quarantine") == [{"n": 0}]


def two_days_of_litellm(home: Path) -> None:
    """The real spend log on its own day and, with a new id, on the next day."""
    record = fixture_json(SAMPLE)
    next_day = copy.deepcopy(record)
    next_day["request_id"] = record["request_id"] + "-next-day"
    for field in ("startTime", "endTime", "completionStartTime"):
        next_day[field] = record[field].replace("2025-01-24", "2025-01-25")
    settled(write_jsonl(home / "landing" / "litellm" / "two_days.jsonl", [record, next_day]))


@pytest.mark.e2e
def test_sensor_range_runs_as_one_backfill_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Consecutive touched days become one run over a partition range, executed through the
    deployed job with the resource read from LLMCOST_HOME."""
    home = tmp_path / "home"
    two_days_of_litellm(home)
    # Today is not a partition yet (the newest is yesterday): the sensor must skip it.
    today = fixture_json(SAMPLE)
    today["request_id"] += "-today"
    now = datetime.now(UTC)
    for field in ("startTime", "endTime", "completionStartTime"):
        today[field] = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    settled(write_jsonl(home / "landing" / "litellm" / "today.jsonl", [today]))
    monkeypatch.setenv("LLMCOST_HOME", str(home))
    loaded = defs()

    with dg.instance_for_test() as instance:
        ingest = loaded.resolve_job_def("ingest_job").execute_in_process(instance=instance)
        assert ingest.success
        (request,) = sensors.lake_dates_sensor(
            dg.build_sensor_context(instance=instance)).run_requests
        assert request.partition_key_range == dg.PartitionKeyRange("2025-01-24", "2025-01-25")
        build = loaded.resolve_job_def("daily_build_job").execute_in_process(
            instance=instance, tags=request.tags)
        assert build.success
        assert all(check_results(build).values())

    rows = query(Home(home), "SELECT usage_date, requests, cost_usd FROM daily_costs "
                 "WHERE usage_date <= DATE '2025-01-25' ORDER BY 1")
    assert rows == [
        {"usage_date": date(2025, 1, 24), "requests": 1, "cost_usd": SAMPLE_COST},
        {"usage_date": date(2025, 1, 25), "requests": 1, "cost_usd": SAMPLE_COST},
    ]


def test_landing_sensor_waits_for_files_being_written(tmp_path: Path):
    landing = tmp_path / "landing"
    fresh = landing / "litellm" / "export.jsonl"
    fresh.parent.mkdir(parents=True)
    fresh.write_text("{}\n")
    (landing / "litellm" / ".partial.jsonl").write_text("{}\n")
    now = time.time()
    assert sensors.landing_listing(landing, now=now) == {}
    settled(fresh)
    assert list(sensors.landing_listing(landing, now=now).values()) == ["litellm/export.jsonl"]


def test_touched_days_merge_into_ranges():
    days = [date(2025, 1, 3), date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 9)]
    assert sensors.date_ranges(days) == [
        (date(2025, 1, 1), date(2025, 1, 3)), (date(2025, 1, 9), date(2025, 1, 9)),
    ]


@pytest.mark.e2e
def test_price_change_reprices_days_not_in_the_run(tmp_path: Path):
    """ingest_job's marts build before the nightly partition: seeing the new prices first must
    not stop the next requests build from re-pricing every day, not only its own."""
    home = tmp_path / "home"
    two_days_of_litellm(home)
    with dg.instance_for_test() as instance:
        materialize(home, instance, "lake_requests", "lake_quarantine", "lake_ingest_runs",
                           "lake_usage_buckets")
        for day in ("2025-01-24", "2025-01-25"):
            materialize(home, instance, "requests", partition_key=day)
        header = (PRICING_DIR / "prices.csv").read_text().splitlines()[0]
        overrides = Home(home).pricing / "overrides.csv"
        overrides.write_text(header + "\nnegotiated/gpt-4o,openai,gpt-4o,standard,0,2024-10-03,,"
                             "5,2.5,5,5,20,0.01,,doubled for the test\n")
        materialize(home, instance, "quarantine")
        materialize(home, instance, "requests", partition_key="2025-01-25")
    costs = query(Home(home), "SELECT usage_date, cost_usd FROM requests ORDER BY 1")
    assert [row["cost_usd"] for row in costs] == [2 * SAMPLE_COST, 2 * SAMPLE_COST]
