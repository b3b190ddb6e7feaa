"""Broken input never stops an ingest and never disappears: every record read is loaded, a
duplicate, or quarantined with its line and a reason a person can act on.

Quirks protected here (all seen in real logs): truncated lines from a killed writer, blank
lines, stray JSON arrays, records without id or model, negative or string token counts,
timestamps without a zone (we would have to guess it), models nobody has priced yet (load
them, flag them unpriced, never $0), a retried write repeating a line, bytes that are not
UTF-8, and gzip-compressed files.
"""

from __future__ import annotations

import copy
import gzip
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    assert_balanced,
    envelope,
    fixture_json,
    ingest,
    query,
    recorded_bodies,
    write_jsonl,
)

from pipelines import warehouse
from pipelines.paths import Home


@dataclass
class BadFile:
    """A mixed JSONL file and what ingesting it must give."""
    lines: list
    loaded_ids: set[str]
    unknown_model_id: str
    unknown_model_reason: str
    # source_line -> (reason_code, words the reason must contain)
    rejected: dict[int, tuple[str, tuple[str, ...]]]


def _truncated(record: dict) -> str:
    return json.dumps(record)[:80]


# -- OpenAI -------------------------------------------------------------------------------

def _openai_capture(request_id: str | None, **usage_edits) -> dict:
    body = recorded_bodies("openai/chat_completions_gpt-4o-mini.response.json")[0]
    if request_id is not None:
        body["id"] = f"chatcmpl-{request_id}"
    else:
        del body["id"]
    body["usage"].update(usage_edits)
    return envelope(body, request_id=request_id, started_at="2026-11-20T10:00:00Z",
                    metadata={"team": "bad-input"})


def openai_bad_file() -> BadFile:
    valid = _openai_capture("oa-valid-1")
    no_model = _openai_capture("oa-no-model")
    del no_model["response"]["model"]
    naive = _openai_capture("oa-naive")
    naive["started_at"] = "2026-11-20T10:00:00"
    unknown = _openai_capture("oa-unknown-model")
    unknown["response"]["model"] = "gpt-imaginary-9"
    lines = [
        valid,                                                  # 1
        _truncated(_openai_capture("oa-truncated")),            # 2
        "",                                                     # 3 blank: not a record
        "[1, 2, 3]",                                            # 4
        _openai_capture(None),                                  # 5
        no_model,                                               # 6
        _openai_capture("oa-negative", prompt_tokens=-5),       # 7
        _openai_capture("oa-not-a-number", completion_tokens="12a"),  # 8
        naive,                                                  # 9
        unknown,                                                # 10
        valid,                                                  # 11 verbatim repeat of 1
        _openai_capture("oa-valid-2"),                          # 12
    ]
    return BadFile(
        lines=lines,
        loaded_ids={"oa-valid-1", "oa-unknown-model", "oa-valid-2"},
        unknown_model_id="oa-unknown-model",
        unknown_model_reason="no price for model openai/gpt-imaginary-9",
        rejected={
            2: ("malformed_json", ("not valid JSON",)),
            4: ("not_a_record", ("list", "not an object")),
            5: ("missing_field", ("request id",)),
            6: ("missing_field", ("model",)),
            7: ("invalid_tokens", ("input tokens", "negative", "-5")),
            8: ("invalid_tokens", ("output tokens", "12a", "not a whole number")),
            9: ("naive_timestamp", ("started_at", "2026-11-20T10:00:00", "time zone")),
            11: ("duplicate", ("oa-valid-1", "line 1")),
        },
    )


# -- Anthropic ----------------------------------------------------------------------------

def _anthropic_capture(request_id: str | None, **usage_edits) -> dict:
    body = recorded_bodies("anthropic/messages_cache_write_read_real_api.responses.json")[1]
    if request_id is not None:
        body["id"] = f"msg_{request_id}"
    else:
        del body["id"]
    body["usage"].update(usage_edits)
    return envelope(body, request_id=request_id, started_at="2026-11-20T10:00:00Z",
                    request={"max_tokens": 1024})


def anthropic_bad_file() -> BadFile:
    valid = _anthropic_capture("an-valid-1")
    no_model = _anthropic_capture("an-no-model")
    del no_model["response"]["model"]
    naive = _anthropic_capture("an-naive")
    naive["started_at"] = "2026-11-20T10:00:00"
    unknown = _anthropic_capture("an-unknown-model")
    unknown["response"]["model"] = "claude-imaginary-9"
    lines = [
        valid,                                                  # 1
        _truncated(_anthropic_capture("an-truncated")),         # 2
        "",                                                     # 3
        "[1, 2, 3]",                                            # 4
        _anthropic_capture(None),                               # 5
        no_model,                                               # 6
        _anthropic_capture("an-negative", input_tokens=-5),     # 7
        _anthropic_capture("an-not-a-number", output_tokens="12a"),  # 8
        naive,                                                  # 9
        unknown,                                                # 10
        valid,                                                  # 11
        _anthropic_capture("an-valid-2"),                       # 12
    ]
    return BadFile(
        lines=lines,
        loaded_ids={"an-valid-1", "an-unknown-model", "an-valid-2"},
        unknown_model_id="an-unknown-model",
        unknown_model_reason="no price for model anthropic/claude-imaginary-9",
        rejected={
            2: ("malformed_json", ("not valid JSON",)),
            4: ("not_a_record", ("list", "not an object")),
            5: ("missing_field", ("request id",)),
            6: ("missing_field", ("model",)),
            7: ("invalid_tokens", ("usage.input_tokens", "negative", "-5")),
            8: ("invalid_tokens", ("usage.output_tokens", "12a", "not a whole number")),
            9: ("naive_timestamp", ("started_at", "2026-11-20T10:00:00", "time zone")),
            11: ("duplicate", ("an-valid-1", "line 1")),
        },
    )


# -- LiteLLM ------------------------------------------------------------------------------

def _spend_log(request_id: str | None, **usage_edits) -> dict:
    """The real SpendLogs row; token edits go to both the columns and metadata.usage_object,
    as LiteLLM writes the same numbers to both."""
    row = copy.deepcopy(fixture_json("litellm/spend_logs_payload.json"))
    if request_id is None:
        del row["request_id"]
    else:
        row["request_id"] = request_id
    metadata = json.loads(row["metadata"])
    metadata["usage_object"].update(usage_edits)
    row["metadata"] = json.dumps(metadata)
    row.update(usage_edits)
    return row


def litellm_bad_file() -> BadFile:
    valid = _spend_log("ll-valid-1")
    no_model = _spend_log("ll-no-model")
    no_model["model"] = ""
    bad_time = _spend_log("ll-bad-time")
    bad_time["startTime"] = "yesterday afternoon"
    unknown = _spend_log("ll-unknown-model")
    unknown["model"] = "gpt-imaginary-9"
    unknown["spend"] = 0.0  # LiteLLM's own price map does not know it either
    lines = [
        valid,                                                  # 1
        _truncated(_spend_log("ll-truncated")),                 # 2
        "",                                                     # 3
        "[1, 2, 3]",                                            # 4
        _spend_log(None),                                       # 5
        no_model,                                               # 6
        _spend_log("ll-negative", prompt_tokens=-5),            # 7
        _spend_log("ll-not-a-number", completion_tokens="12a"),  # 8
        # SpendLogs timestamps are naive UTC by contract, so the zone check is the envelope's;
        # here an unparsable time is the timestamp error.
        bad_time,                                               # 9
        unknown,                                                # 10
        valid,                                                  # 11
        _spend_log("ll-valid-2"),                               # 12
    ]
    return BadFile(
        lines=lines,
        loaded_ids={"ll-valid-1", "ll-unknown-model", "ll-valid-2"},
        unknown_model_id="ll-unknown-model",
        unknown_model_reason="no price for model openai/gpt-imaginary-9",
        rejected={
            2: ("malformed_json", ("not valid JSON",)),
            4: ("not_a_record", ("list", "not an object")),
            5: ("missing_field", ("request id",)),
            6: ("missing_field", ("model",)),
            7: ("invalid_tokens", ("prompt_tokens", "negative", "-5")),
            8: ("invalid_tokens", ("completion_tokens", "12a", "not a whole number")),
            9: ("bad_timestamp", ("startTime", "yesterday afternoon")),
            11: ("duplicate", ("ll-valid-1", "line 1")),
        },
    )


BAD_FILES = {
    "openai": openai_bad_file,
    "anthropic": anthropic_bad_file,
    "litellm": litellm_bad_file,
}


def _ingest_and_build(home: Home, path: Path, source: str):
    (result,) = ingest(home, path, source)
    warehouse.build(home)
    return result


def _assert_bad_file_outcome(home: Home, path: Path, result, bad: BadFile) -> None:
    assert result.status == "loaded"
    assert_balanced(result)
    assert result.records_read == 11  # 12 lines, one blank
    assert result.records_loaded == len(bad.loaded_ids) == 3
    assert result.records_duplicate == 1
    assert result.records_quarantined == 7

    loaded = query(home, "SELECT request_id FROM requests WHERE source_file = ?", [str(path)])
    assert {row["request_id"] for row in loaded} == bad.loaded_ids

    rejected = query(home, "SELECT * FROM quarantine WHERE source_file = ? ORDER BY source_line",
                     [str(path)])
    assert [row["source_line"] for row in rejected] == sorted(bad.rejected)
    for row in rejected:
        code, words = bad.rejected[row["source_line"]]
        assert row["reason_code"] == code, row
        assert row["is_duplicate"] is (code == "duplicate"), row
        for word in words:
            assert word in row["reason"], (word, row["reason"])
        # Records carry prompts: their text is not stored unless LLMCOST_STORE_TEXT=1.
        assert row["excerpt"] is None, row

    (run,) = query(home, "SELECT * FROM ingest_runs WHERE source_file = ?", [str(path)])
    assert run["is_balanced"] is True
    assert (run["records_read"], run["records_loaded"], run["records_duplicate"],
            run["records_quarantined"]) == (11, 3, 1, 7)


@pytest.mark.parametrize("source", sorted(BAD_FILES))
def test_mixed_bad_lines_are_quarantined_with_reasons(home, tmp_path, source):
    bad = BAD_FILES[source]()
    path = write_jsonl(tmp_path / f"{source}_mixed.jsonl", bad.lines)
    result = _ingest_and_build(home, path, source)
    _assert_bad_file_outcome(home, path, result, bad)


@pytest.mark.parametrize("source", sorted(BAD_FILES))
def test_negative_token_reason_blames_only_the_bad_field(home, tmp_path, source):
    """A negative count must not also produce a derived "cache reads + writes exceed input
    tokens" complaint: that claim is computed from the bad value and is false on the wire."""
    bad = BAD_FILES[source]()
    path = write_jsonl(tmp_path / f"{source}_mixed.jsonl", bad.lines)
    _ingest_and_build(home, path, source)
    (row,) = query(home, "SELECT * FROM quarantine WHERE source_line = 7")
    assert row["reason_code"] == "invalid_tokens"
    assert "negative (-5)" in row["reason"]
    assert "exceed" not in row["reason"], row["reason"]


@pytest.mark.parametrize("source", sorted(BAD_FILES))
def test_unknown_model_loads_unpriced_never_zero(home, tmp_path, source):
    bad = BAD_FILES[source]()
    path = write_jsonl(tmp_path / f"{source}_mixed.jsonl", bad.lines)
    _ingest_and_build(home, path, source)
    rows = query(home, "SELECT * FROM requests WHERE request_id = ?", [bad.unknown_model_id])
    assert len(rows) == 1
    row = rows[0]
    assert row["is_priced"] is False
    assert row["cost_usd"] is None
    assert row["input_cost_usd"] is None and row["output_cost_usd"] is None
    assert row["unpriced_reason"] == bad.unknown_model_reason
    assert row["input_tokens"] > 0
    if source == "litellm":
        # LiteLLM's own map did not know the model either and logged spend 0: kept as its
        # claim, but it is not our cost.
        assert row["reported_cost_usd"] == 0.0
    (day,) = query(home, "SELECT sum(unpriced_requests) AS unpriced FROM daily_costs")
    assert day["unpriced"] == 1


@pytest.mark.parametrize("source", sorted(BAD_FILES))
def test_gzip_copy_ingests_the_same(tmp_path, source):
    bad = BAD_FILES[source]()
    plain = write_jsonl(tmp_path / f"{source}_mixed.jsonl", bad.lines)
    packed = tmp_path / f"{source}_mixed.jsonl.gz"
    with open(plain, "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain_home, packed_home = Home(tmp_path / "plain"), Home(tmp_path / "packed")
    plain_result = _ingest_and_build(plain_home, plain, source)
    packed_result = _ingest_and_build(packed_home, packed, source)
    _assert_bad_file_outcome(packed_home, packed, packed_result, bad)

    def counts(result):
        return (result.records_read, result.records_loaded, result.records_duplicate,
                result.records_quarantined)

    assert counts(packed_result) == counts(plain_result)
    columns = ("request_id, source_line, input_tokens, output_tokens, cache_read_input_tokens, "
               "cost_usd, occurred_at")
    sql = f"SELECT {columns} FROM requests ORDER BY request_id"
    assert query(packed_home, sql) == query(plain_home, sql)
    sql = "SELECT source_line, reason_code, reason FROM quarantine ORDER BY source_line"
    assert query(packed_home, sql) == query(plain_home, sql)


@pytest.mark.parametrize("source", sorted(BAD_FILES))
def test_invalid_utf8_line_is_unreadable_and_others_load(home, tmp_path, source):
    bad = BAD_FILES[source]()
    first, second = bad.lines[0], bad.lines[-1]
    # Latin-1 "é" and two stray bytes inside an otherwise valid record.
    broken = b'{"note": "caf\xe9 \xff\xfe", ' + json.dumps(first)[1:].encode()
    path = write_jsonl(tmp_path / f"{source}_latin1.jsonl", [first, broken, second])
    result = _ingest_and_build(home, path, source)
    assert_balanced(result)
    assert (result.records_read, result.records_loaded, result.records_duplicate,
            result.records_quarantined) == (3, 2, 0, 1)
    (rejected,) = query(home, "SELECT * FROM quarantine")
    assert rejected["source_line"] == 2
    assert rejected["reason_code"] == "unreadable"
    assert "UTF-8" in rejected["reason"]
    loaded = query(home, "SELECT request_id FROM requests ORDER BY source_line")
    assert len(loaded) == 2


def test_blank_lines_only_file_reads_nothing(home, tmp_path):
    path = tmp_path / "blank.jsonl"
    path.write_text("\n\n   \n")
    (result,) = ingest(home, path, "openai")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (0, 0, 0)


def test_cut_pretty_printed_document_loses_nothing_silently(home, tmp_path):
    """A pretty-printed single document cut short cannot be parsed as a whole; it is then read
    line by line, so every non-blank line is accounted for and nothing half-parsed loads."""
    body = json.dumps(recorded_bodies("openai/chat_completions_gpt-4o-mini.response.json")[0],
                      indent=2)
    text = body[: len(body) // 2]
    path = tmp_path / "cut.json"
    path.write_text(text)
    result = _ingest_and_build(home, path, "openai")
    assert_balanced(result)
    non_blank = sum(1 for line in text.split("\n") if line.strip())
    assert (result.records_read, result.records_loaded) == (non_blank, 0)
    assert result.records_quarantined == non_blank
    codes = {row["reason_code"] for row in query(home, "SELECT * FROM quarantine")}
    assert codes <= {"malformed_json", "not_a_record"}


@pytest.mark.parametrize("source", sorted(BAD_FILES))
def test_broken_first_line_does_not_cost_the_rest_of_the_file(home, tmp_path, source):
    """A JSONL file whose first line is truncated (a writer killed mid-line, then restarted)
    starts with "{" but does not parse: it must still be read as lines."""
    bad = BAD_FILES[source]()
    first, second = bad.lines[0], bad.lines[-1]
    path = write_jsonl(tmp_path / f"{source}_broken_first.jsonl",
                       [_truncated(first), first, second])
    result = _ingest_and_build(home, path, source)
    assert_balanced(result)
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (3, 2, 1)
    (rejected,) = query(home, "SELECT * FROM quarantine")
    assert (rejected["source_line"], rejected["reason_code"]) == (1, "malformed_json")


def test_excerpts_are_kept_only_when_text_storage_is_on(home, tmp_path, monkeypatch):
    """Prompt and response text is off by default; opted in, secrets are redacted."""
    monkeypatch.setenv("LLMCOST_STORE_TEXT", "1")
    path = tmp_path / "text.jsonl"
    path.write_text('{"api_key": "sk-proj-abcdefghijklmnop", "messages": [\n')
    (result,) = ingest(home, path, "openai")
    assert result.records_quarantined == 1
    warehouse.build(home)
    (row,) = query(home, "SELECT excerpt FROM quarantine")
    assert row["excerpt"].startswith('{"api_key": "sk-proj-[REDACTED]"')
