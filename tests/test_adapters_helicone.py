"""Helicone request exports -> canonical requests.

All Helicone records here are CONSTRUCTED (no public recorded export was found): the CSV exactly
as `npx @helicone/export --format csv` writes it -- its header and its quoting, per
Helicone/helicone examples/export/typescript/index.ts -- and the JSONL as raw HeliconeRequest
records (llm-mapper types). Token numbers are reused from the real recorded OpenAI and Anthropic
responses in tests/fixtures so the priced costs can be checked by hand.

Quirks protected here:
- CSV values are all strings, and an absent value is an empty field (not "0");
- the export CLI quote-escapes object columns twice, so request_properties decodes from the
  CSV as {""Team"":""growth""}: attribution must still come out of it;
- property keys are free-form headers: Team / team / Helicone-Session-Id are matched
  case-insensitively;
- Helicone's prompt_tokens includes the cache reads for OpenAI (OpenAI convention) but is the
  uncached part for Anthropic, beside prompt_cache_read_tokens / prompt_cache_write_tokens;
  nothing says which: when reads + writes exceed prompt_tokens they are added back;
- cost is USD: `costUSD` (older exports and the CSV: `cost`) -> reported_cost_usd, not our price;
- timestamps: RFC 3339 with a zone, or ClickHouse's naive "YYYY-MM-DD HH:MM:SS.fff" taken as UTC;
- response_id is the request id (the CSV has no request_id), so CSV and JSONL exports of the
  same requests dedupe;
- a ragged CSV row (more fields than the header) is quarantined with its line; the rest loads,
  and a column the adapter does not know is ignored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ingest, quarantine_rows, request_row, write_jsonl

from pipelines import warehouse
from pipelines.detect import detect
from pipelines.paths import Home

MTOK = Decimal(1_000_000)
# openai/gpt-4o-mini/standard/0/2024-07-18
GPT_4O_MINI_INPUT, GPT_4O_MINI_OUTPUT = Decimal("0.15"), Decimal("0.60")
# openai/gpt-5/standard/0/2025-08-07
GPT_5_INPUT, GPT_5_CACHED, GPT_5_OUTPUT = Decimal("1.25"), Decimal("0.125"), Decimal("10")
# anthropic/claude-sonnet-4-5/standard/0/2025-09-29
SONNET_45_INPUT, SONNET_45_READ = Decimal("3"), Decimal("0.30")
SONNET_45_WRITE_5M, SONNET_45_OUTPUT = Decimal("3.75"), Decimal("15")

CSV_HEADER = ["response_id", "response_created_at", "response_status", "request_created_at",
              "request_body", "request_properties", "request_user_id", "model",
              "prompt_tokens", "completion_tokens", "latency", "cost"]


def csv_cell(value) -> str:
    """convertToCSVRow of the export CLI: objects are JSON.stringify'd with quotes doubled,
    then every value is quoted with quotes doubled (again)."""
    if isinstance(value, dict | list):
        value = json.dumps(value, separators=(",", ":")).replace('"', '""')
    if value is None:
        return ""
    return '"' + str(value).replace('"', '""') + '"'


def write_helicone_csv(path: Path, rows: list[dict], header: list[str] = CSV_HEADER,
                       raw_lines: dict[int, str] | None = None) -> Path:
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(csv_cell(row.get(column)) for column in header))
    for index, line in sorted((raw_lines or {}).items()):
        lines.insert(index, line)
    path.write_text("\n".join(lines) + "\n")
    return path


CSV_OPENAI = {
    "response_id": "hc-resp-csv-openai", "response_created_at": "2024-11-11T23:43:50.812Z",
    "response_status": 200, "request_created_at": "2024-11-11T23:43:50.000Z",
    "request_body": {"model": "gpt-4o-mini",
                     "messages": [{"role": "user", "content": "Say \"hi\""}]},
    "request_properties": {"Team": "growth", "Feature": "search", "Environment": "prod",
                           "Helicone-Session-Id": "sess-h1"},
    "request_user_id": "user-h1", "model": "gpt-4o-mini-2024-07-18",
    "prompt_tokens": 12, "completion_tokens": 5, "latency": 812, "cost": 4.8e-06,
}
CSV_NAIVE = {
    "response_id": "hc-resp-csv-naive", "response_created_at": "2025-10-01 12:00:01.500",
    "response_status": 200, "request_created_at": "2025-10-01 12:00:00.123",
    "request_properties": {"team": "platform", "session-id": "sess-h2"},
    "model": "claude-sonnet-4-5-20250929", "prompt_tokens": 1532, "completion_tokens": 33,
}
CSV_FAILED = {
    "response_id": "hc-resp-csv-429", "response_created_at": "2025-10-01T12:05:00.400Z",
    "response_status": 429, "request_created_at": "2025-10-01T12:05:00Z",
    "request_properties": {"Team": "growth"}, "model": "gpt-4o-mini",
}


def heliconerequest(response_id: str, **fields) -> dict:
    """A raw HeliconeRequest record (JSONL export), CONSTRUCTED per llm-mapper's type."""
    record = {
        "response_id": response_id, "response_created_at": "2025-09-12T23:21:58.750Z",
        "response_body": None, "response_status": 200, "response_model": None,
        "request_id": "hc-req-" + response_id, "request_created_at": "2025-09-12T23:21:23.250Z",
        "request_body": None, "request_path": "https://oai.helicone.ai/v1/chat/completions",
        "request_user_id": None, "request_properties": {}, "request_model": None,
        "model_override": None, "helicone_user": "helicone-member-1", "provider": "OPENAI",
        "delay_ms": 35500, "time_to_first_token": 900, "total_tokens": None,
        "prompt_tokens": None, "prompt_cache_write_tokens": 0, "prompt_cache_read_tokens": 0,
        "completion_tokens": None, "prompt_id": None, "signed_body_url": None,
        "country_code": "US", "asset_ids": None, "scores": None, "costUSD": None,
        "properties": {}, "assets": [], "target_url": "https://api.openai.com/v1/chat/completions",
        "model": None, "cache_reference_id": "00000000-0000-0000-0000-000000000000",
    }
    record.update(fields)
    return record


JSONL_OPENAI = heliconerequest(
    "hc-resp-gpt5", model="gpt-5-2025-08-07", request_model="gpt-5",
    prompt_tokens=9463, prompt_cache_read_tokens=8320, completion_tokens=660, total_tokens=10123,
    costUSD=0.00906875,
    response_body={"object": "chat.completion", "service_tier": "default", "usage": {
        "prompt_tokens": 9463, "completion_tokens": 660,
        "completion_tokens_details": {"reasoning_tokens": 512}}},
    request_properties={"Team": "growth", "Feature": "web-answers", "Helicone-Session-Id": "s-9",
                        "team": "second-spelling"},
    properties={"Team": "from-properties", "Environment": "prod"},
    request_user_id="user-9")
# The real Anthropic cache call: 3 uncached + 1111 read + 418 written, 33 out.
JSONL_ANTHROPIC_UNCACHED = heliconerequest(
    "hc-resp-sonnet-uncached", provider="ANTHROPIC", model="claude-sonnet-4-5-20250929",
    request_path="https://anthropic.helicone.ai/v1/messages",
    request_created_at="2025-10-02T08:00:00Z", response_created_at="2025-10-02T08:00:02Z",
    prompt_tokens=3, prompt_cache_read_tokens=1111, prompt_cache_write_tokens=418,
    completion_tokens=33, costUSD=0.0024048)
JSONL_ANTHROPIC_INCLUDED = heliconerequest(
    "hc-resp-sonnet-included", provider="ANTHROPIC", model="claude-sonnet-4-5-20250929",
    request_created_at="2025-10-02T08:01:00Z", response_created_at="2025-10-02T08:01:02Z",
    prompt_tokens=1532, prompt_cache_read_tokens=1111, prompt_cache_write_tokens=418,
    completion_tokens=33, costUSD=0.0024048)
JSONL_CACHE_HIT = heliconerequest(
    "hc-resp-cache-hit", model="gpt-4o-mini", prompt_tokens=12, completion_tokens=5,
    costUSD=0, delay_ms=4, cache_reference_id="8e0f6a1c-5d1b-4b53-9a55-0c9ab2a5a1f2")
JSONL_OLD_COST_STRING_PROPS = heliconerequest(
    "hc-resp-old-cost", model="gpt-4o-mini", prompt_tokens=12, completion_tokens=5,
    cost=4.8e-06, request_properties=json.dumps({"TEAM": "search", "environment": "staging"}))
JSONL_BEDROCK = heliconerequest(
    "hc-resp-bedrock", provider="AWS", model="anthropic.claude-sonnet-4-5-20250929-v1:0",
    prompt_tokens=1532, prompt_cache_read_tokens=1111, prompt_cache_write_tokens=418,
    completion_tokens=33, request_created_at="2025-10-03T00:00:00Z",
    response_created_at="2025-10-03T00:00:01Z")


@pytest.fixture(scope="module")
def helicone_home(tmp_path_factory) -> Home:
    tmp = tmp_path_factory.mktemp("helicone")
    home = Home(tmp / "home")
    csv_path = write_helicone_csv(tmp / "output.csv", [CSV_OPENAI, CSV_NAIVE, CSV_FAILED])
    jsonl_path = write_jsonl(tmp / "output.jsonl", [
        JSONL_OPENAI, JSONL_ANTHROPIC_UNCACHED, JSONL_ANTHROPIC_INCLUDED, JSONL_CACHE_HIT,
        JSONL_OLD_COST_STRING_PROPS, JSONL_BEDROCK])
    results = ingest(home, [csv_path, jsonl_path], "helicone")
    assert [(r.records_loaded, r.records_quarantined) for r in results] == [(3, 0), (6, 0)]
    warehouse.build(home)
    return home


def test_csv_row_strings_and_double_escaped_properties(helicone_home):
    row = request_row(helicone_home, "hc-resp-csv-openai")
    assert row["occurred_at"] == datetime(2024, 11, 11, 23, 43, 50, tzinfo=UTC)
    assert row["ended_at"] == datetime(2024, 11, 11, 23, 43, 50, 812000, tzinfo=UTC)
    assert row["latency_ms"] == 812
    assert row["provider"] == "openai"  # the CSV has no provider column: from the model
    assert row["model"] == "gpt-4o-mini"
    assert (row["input_tokens"], row["output_tokens"]) == (12, 5)
    assert row["cache_read_input_tokens"] == 0
    assert row["reported_cost_usd"] == pytest.approx(4.8e-06)
    assert row["cost_usd"] == (12 * GPT_4O_MINI_INPUT + 5 * GPT_4O_MINI_OUTPUT) / MTOK
    assert (row["team"], row["feature"], row["environment"]) == ("growth", "search", "prod")
    assert row["session_id"] == "sess-h1"
    assert row["user_id"] == "user-h1"
    assert row["tags"]["Team"] == "growth"  # tags keep the header's spelling


def test_csv_naive_clickhouse_timestamp_is_utc_and_empty_fields_are_absent(helicone_home):
    row = request_row(helicone_home, "hc-resp-csv-naive")
    assert row["occurred_at"] == datetime(2025, 10, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert row["ended_at"] == datetime(2025, 10, 1, 12, 0, 1, 500000, tzinfo=UTC)
    assert row["latency_ms"] == 1377  # no latency field: response - request
    assert row["reported_cost_usd"] is None  # empty cost field: unknown, not 0
    assert row["provider"] == "anthropic"
    assert (row["team"], row["session_id"]) == ("platform", "sess-h2")


def test_csv_failed_request_has_zero_tokens(helicone_home):
    row = request_row(helicone_home, "hc-resp-csv-429")
    assert row["status"] == "failure"
    assert (row["input_tokens"], row["output_tokens"]) == (0, 0)
    assert row["tags"]["response_status"] == "429"
    assert row["cost_usd"] == 0


def test_openai_prompt_tokens_include_cache_reads(helicone_home):
    row = request_row(helicone_home, "hc-resp-gpt5")
    assert row["provider"] == "openai"
    assert row["model_raw"] == "gpt-5-2025-08-07"
    assert row["input_tokens"] == 9463
    assert row["cache_read_input_tokens"] == 8320
    assert row["uncached_input_tokens"] == 1143
    assert row["output_tokens"] == 660
    assert row["reasoning_output_tokens"] == 512  # from response_body.usage
    assert row["latency_ms"] == 35500  # delay_ms
    assert row["api_surface"] == "chat.completions"
    assert row["service_tier"] == "standard"
    expected = (1143 * GPT_5_INPUT + 8320 * GPT_5_CACHED + 660 * GPT_5_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.00906875")
    assert row["reported_cost_usd"] == 0.00906875  # costUSD
    assert (row["team"], row["feature"], row["session_id"]) == ("growth", "web-answers", "s-9")
    assert row["user_id"] == "user-9"


def test_property_keys_case_insensitive_first_spelling_wins(helicone_home):
    """request_properties {"Team": "growth", "team": ...} and properties {"Team": ...}: one
    team, the first spelling of request_properties; the other map still fills gaps."""
    row = request_row(helicone_home, "hc-resp-gpt5")
    assert row["team"] == "growth"
    assert row["environment"] == "prod"  # only in `properties`
    assert row["tags"]["Team"] == "growth"
    assert row["tags"]["team"] == "second-spelling"
    assert row["tags"]["helicone_request_id"] == "hc-req-hc-resp-gpt5"
    assert row["tags"]["helicone_user"] == "helicone-member-1"


def test_anthropic_prompt_tokens_exclude_cache_are_added_back(helicone_home):
    """Helicone's Anthropic prompt_tokens (3) is the uncached part: 1111 read + 418 written
    exceed it, so input_tokens = 3 + 1111 + 418."""
    row = request_row(helicone_home, "hc-resp-sonnet-uncached")
    assert row["provider"] == "anthropic"
    assert row["api_surface"] == "messages"
    assert row["input_tokens"] == 1532
    assert row["uncached_input_tokens"] == 3
    assert row["cache_read_input_tokens"] == 1111
    assert row["cache_creation_input_tokens"] == 418
    assert row["output_tokens"] == 33
    expected = (3 * SONNET_45_INPUT + 1111 * SONNET_45_READ + 418 * SONNET_45_WRITE_5M
                + 33 * SONNET_45_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0024048")
    assert row["reported_cost_usd"] == 0.0024048


def test_anthropic_prompt_tokens_that_include_cache_are_kept(helicone_home):
    row = request_row(helicone_home, "hc-resp-sonnet-included")
    assert row["input_tokens"] == 1532
    assert row["uncached_input_tokens"] == 3
    assert row["cost_usd"] == Decimal("0.0024048")


def test_helicone_cache_hit_bills_nothing(helicone_home):
    row = request_row(helicone_home, "hc-resp-cache-hit")
    assert row["is_gateway_cache_hit"] is True
    assert (row["input_tokens"], row["output_tokens"]) == (12, 5)
    assert row["is_priced"] is True
    assert row["cost_usd"] == 0
    # the all-zero uuid means "no cache reference"
    assert request_row(helicone_home, "hc-resp-gpt5")["is_gateway_cache_hit"] is False


def test_older_cost_field_and_properties_as_json_string(helicone_home):
    row = request_row(helicone_home, "hc-resp-old-cost")
    assert row["reported_cost_usd"] == pytest.approx(4.8e-06)  # `cost`, no costUSD
    assert row["team"] == "search"  # "TEAM"
    assert row["environment"] == "staging"


def test_aws_provider_is_bedrock(helicone_home):
    row = request_row(helicone_home, "hc-resp-bedrock")
    assert row["provider"] == "aws_bedrock"
    assert row["model"] == "claude-sonnet-4-5"
    assert row["input_tokens"] == 1532


def test_csv_and_jsonl_exports_of_one_request_dedupe(tmp_path):
    home = Home(tmp_path / "home")
    record = heliconerequest("hc-resp-both", model="gpt-4o-mini", prompt_tokens=12,
                             completion_tokens=5, costUSD=4.8e-06)
    csv_row = dict(record, latency=record["delay_ms"], cost=record["costUSD"])
    (first,) = ingest(home, write_helicone_csv(tmp_path / "a.csv", [csv_row]), "helicone")
    (second,) = ingest(home, write_jsonl(tmp_path / "b.jsonl", [record]), "helicone")
    assert (first.records_loaded, second.records_loaded, second.records_duplicate) == (1, 0, 1)


def test_csv_extra_column_and_ragged_row(tmp_path):
    """A newer export with a column we do not read (ignored), and one hand-edited row with an
    extra field: that row is quarantined with its line and why, the others load."""
    header = [*CSV_HEADER, "country_code"]
    rows = [dict(CSV_OPENAI, country_code="US"), dict(CSV_FAILED, country_code="DE")]
    ragged = ",".join(csv_cell(dict(CSV_NAIVE, country_code="FR").get(c)) for c in header)
    path = write_helicone_csv(tmp_path / "ragged.csv", rows, header=header,
                              raw_lines={2: ragged + ',"surplus"'})
    home = Home(tmp_path / "home")
    (result,) = ingest(home, path, "helicone")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (3, 2, 1)
    warehouse.build(home)
    (bad,) = quarantine_rows(home, path)
    assert bad["source_line"] == 3
    assert bad["reason_code"] == "unreadable"
    assert bad["reason"] == "CSV row has 14 fields, the header has 13"
    loaded = request_row(home, "hc-resp-csv-openai")
    assert loaded["team"] == "growth"
    assert "country_code" not in loaded["tags"]


def test_bad_values_are_quarantined_with_reasons(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [
        heliconerequest("hc-bad-tokens", model="gpt-4o-mini", prompt_tokens="12.5",
                        completion_tokens=5),
        heliconerequest("hc-bad-time", model="gpt-4o-mini", prompt_tokens=1,
                        completion_tokens=1, request_created_at="yesterday"),
        heliconerequest("hc-bad-props", model="gpt-4o-mini", prompt_tokens=1,
                        completion_tokens=1, request_properties="{not json"),
    ])
    home = Home(tmp_path / "home")
    (result,) = ingest(home, path, "helicone")
    assert (result.records_loaded, result.records_quarantined) == (0, 3)
    warehouse.build(home)
    reasons = {r["request_id"]: r["reason_code"] for r in quarantine_rows(home)}
    assert reasons == {"hc-bad-tokens": "invalid_tokens", "hc-bad-time": "bad_timestamp",
                       "hc-bad-props": "malformed_field"}


def test_detects_csv_and_jsonl(tmp_path):
    csv_path = write_helicone_csv(tmp_path / "output.csv", [CSV_OPENAI, CSV_NAIVE])
    jsonl_path = write_jsonl(tmp_path / "output.jsonl", [JSONL_OPENAI, JSONL_CACHE_HIT])
    assert detect(csv_path).source == "helicone"
    assert detect(jsonl_path).source == "helicone"
