"""Re-running anything changes nothing: the nightly job, a retried backfill and a re-delivered
export all land the same files and records again, and must not double a single dollar.

Quirks protected here: log shippers re-deliver whole files (same bytes) and re-batch records
into new files (same records, new name, a few new lines); schedulers re-run builds with nothing
new; operators run a full rebuild to "fix" things and expect the same numbers.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import assert_balanced, envelope, ingest, query, recorded_bodies, write_jsonl

from pipelines import warehouse
from pipelines.ingest import ingest_paths
from pipelines.paths import Home

MARTS = ("requests", "daily_costs", "session_costs", "quarantine", "ingest_runs")


def openai_captures() -> list[dict]:
    """Envelopes around the real OpenAI bodies, on three different days."""
    (chat,) = recorded_bodies("openai/chat_completions_gpt-4o-mini.response.json")
    (web_search,) = recorded_bodies(
        "openai/responses_api_web_search_cached_reasoning.responses.json")
    (gpt_54,) = recorded_bodies("openai/responses_api_gpt-5.4_reasoning.response.json")
    metadata = {"team": "growth", "feature": "chat", "environment": "prod", "session_id": "s-1"}
    return [
        envelope(chat, request_id="idem-chat", started_at="2024-11-11T23:43:50Z",
                 metadata=metadata),
        envelope(web_search, request_id="idem-web-search", started_at="2025-09-12T23:21:23Z",
                 metadata=metadata),
        envelope(gpt_54, request_id="idem-gpt-54", started_at="2026-04-18T03:01:22Z",
                 metadata=metadata),
    ]


def extra_capture() -> dict:
    (chat,) = recorded_bodies("openai/chat_completions_gpt-4o-mini.response.json")
    return envelope(chat, request_id="idem-chat-new", started_at="2024-11-11T23:50:00Z",
                    metadata={"team": "growth", "session_id": "s-1"})


def snapshot(home: Home) -> dict[str, list[dict]]:
    return {mart: query(home, f"SELECT * FROM {mart} ORDER BY ALL") for mart in MARTS}


def totals(home: Home) -> tuple[int, Decimal]:
    (row,) = query(home, "SELECT count(*) AS n, sum(cost_usd) AS cost FROM requests")
    return row["n"], row["cost"]


@pytest.fixture
def captures_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "landing" / "openai_2026-11-20.jsonl", openai_captures())


def test_same_file_twice_is_skipped_and_changes_nothing(home, captures_file):
    (first,) = ingest(home, captures_file, "openai")
    assert (first.status, first.records_loaded) == ("loaded", 3)
    warehouse.build(home)
    before = snapshot(home)
    assert totals(home) == (3, Decimal("0.0000048") + Decimal("0.01906875") + Decimal("0.00443"))

    (second,) = ingest(home, captures_file, "openai")
    assert second.status == "skipped"
    assert "already ingested" in second.note
    assert (second.records_read, second.records_loaded) == (0, 0)
    result = warehouse.build(home)
    assert result.reason == "nothing new"
    assert snapshot(home) == before


def test_same_file_named_twice_in_one_run(home, captures_file):
    first, second = ingest(home, [captures_file, captures_file], "openai")
    assert (first.status, second.status) == ("loaded", "skipped")
    warehouse.build(home)
    assert totals(home)[0] == 3
    assert len(query(home, "SELECT * FROM ingest_runs")) == 1


def test_identical_copy_under_another_name_is_skipped(home, captures_file, tmp_path):
    copy = tmp_path / "redelivered" / "openai_copy.jsonl"
    copy.parent.mkdir()
    shutil.copyfile(captures_file, copy)
    ingest(home, captures_file, "openai")
    (result,) = ingest(home, copy, "openai")
    assert result.status == "skipped"
    assert str(captures_file) in result.note


def test_same_records_in_another_file_only_new_one_loads(home, captures_file, tmp_path):
    ingest(home, captures_file, "openai")
    warehouse.build(home)
    count_before, cost_before = totals(home)

    rebatched = write_jsonl(tmp_path / "landing" / "openai_rebatched.jsonl",
                            [*reversed(openai_captures()), extra_capture()])
    (result,) = ingest(home, rebatched, "openai")
    assert result.status == "loaded"
    assert_balanced(result)
    assert (result.records_read, result.records_loaded, result.records_duplicate,
            result.records_quarantined) == (4, 1, 3, 0)
    warehouse.build(home)

    count_after, cost_after = totals(home)
    assert count_after == count_before + 1
    assert cost_after == cost_before + Decimal("0.0000048")
    ids = query(home, "SELECT request_id, count(*) AS n FROM requests GROUP BY ALL")
    assert all(row["n"] == 1 for row in ids)
    duplicates = query(home, "SELECT * FROM quarantine WHERE source_file = ? ORDER BY source_line",
                       [str(rebatched)])
    assert [row["source_line"] for row in duplicates] == [1, 2, 3]
    assert all(row["is_duplicate"] and row["reason_code"] == "duplicate" for row in duplicates)
    assert all("already in the lake" in row["reason"] for row in duplicates)
    runs = query(home, "SELECT is_balanced FROM ingest_runs")
    assert [row["is_balanced"] for row in runs] == [True, True]
    # The new record's session now has two calls on its day; the old session stats are intact.
    (session,) = query(home, "SELECT * FROM session_costs WHERE session_id = 's-1'")
    assert session["calls"] == 4


def test_same_request_id_in_another_source_is_not_a_duplicate(home, captures_file, tmp_path):
    """The dedupe key is (source, request_id): a gateway log and an SDK capture of different
    calls may reuse an id format, and must not swallow each other."""
    ingest(home, captures_file, "openai")
    other = write_jsonl(tmp_path / "anthropic.jsonl", [
        envelope(recorded_bodies("anthropic/messages_cache_write_read_real_api.responses.json")[1],
                 request_id="idem-chat", started_at="2024-11-11T23:43:50Z"),
    ])
    (result,) = ingest(home, other, "anthropic")
    assert (result.records_loaded, result.records_duplicate) == (1, 0)


def test_forced_reingest_counts_everything_as_duplicate(home, captures_file):
    ingest(home, captures_file, "openai")
    warehouse.build(home)
    before = snapshot(home)
    (result,) = ingest_paths([captures_file], home, source="openai", force=True)
    assert result.status == "loaded"
    assert_balanced(result)
    assert (result.records_read, result.records_loaded, result.records_duplicate,
            result.records_quarantined) == (3, 0, 3, 0)
    warehouse.build(home)
    after = snapshot(home)
    assert after["requests"] == before["requests"]
    assert after["daily_costs"] == before["daily_costs"]
    assert len(after["ingest_runs"]) == 2


def test_build_with_nothing_new_changes_nothing(home, captures_file):
    ingest(home, captures_file, "openai")
    warehouse.build(home)
    before = snapshot(home)
    result = warehouse.build(home)
    assert result.reason == "nothing new"
    assert result.dates == []
    assert snapshot(home) == before


def test_full_rebuild_equals_incremental_builds(home, captures_file, tmp_path):
    ingest(home, captures_file, "openai")
    warehouse.build(home)
    rebatched = write_jsonl(tmp_path / "landing" / "openai_rebatched.jsonl",
                            [*openai_captures(), extra_capture()])
    ingest(home, rebatched, "openai")
    incremental = warehouse.build(home)
    assert incremental.full is False
    assert incremental.reason == "new lake partitions"
    before = snapshot(home)

    full = warehouse.build(home, full=True)
    assert full.full is True
    assert snapshot(home) == before
    assert totals(home) == (4, Decimal("0.0000048") * 2 + Decimal("0.01906875")
                            + Decimal("0.00443"))
