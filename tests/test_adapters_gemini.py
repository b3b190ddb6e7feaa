"""Gemini API / Vertex AI generateContent -> canonical requests, on real recorded responses.

Quirks protected here:
- ``promptTokenCount`` INCLUDES ``cachedContentTokenCount`` (implicit cache: 17379 of 17713);
- ``thoughtsTokenCount`` is billed as output but is NOT inside ``candidatesTokenCount``: output is
  candidates + thoughts (real totals 8 + 433 + 1477 = 1918);
- ``toolUsePromptTokenCount`` (url_context / search results fed back as prompt) is separate from
  ``promptTokenCount`` and billed as input (real total 32 + 41 + 2395 + 47 = 2515);
- proto3 JSON omits zero counts: an absent ``candidatesTokenCount`` is 0, not a missing value;
- Vertex ``enum-encoding=int`` writes ``trafficType: 1`` and ``modality: 1`` as numbers;
- Vertex stamps ``createTime``; a Gemini API body has no time and needs the capture envelope;
- gemini-2.5-pro above 200k prompt tokens is priced at the long-context row for the whole
  request; priority / flex / provisioned traffic is never priced at the standard rate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from conftest import (
    envelope,
    fixture_path,
    ingest,
    quarantine_rows,
    query,
    recorded_bodies,
    request_row,
    write_jsonl,
)

from pipelines import warehouse
from pipelines.detect import detect
from pipelines.paths import Home

MTOK = Decimal(1_000_000)
# google/gemini-2.5-flash/standard/0/2025-06-17 (pricing/prices.csv), USD per 1M tokens
FLASH_INPUT = Decimal("0.30")
FLASH_CACHED = Decimal("0.03")
FLASH_OUTPUT = Decimal("2.50")
FLASH_GROUNDING_PER_PROMPT = Decimal("0.035")
# google/gemini-2.5-flash/batch/0/2025-06-17
FLASH_BATCH_INPUT = Decimal("0.15")
FLASH_BATCH_CACHED = Decimal("0.03")
FLASH_BATCH_OUTPUT = Decimal("1.25")
# google/gemini-2.5-pro/standard/0 and /200000 (prompts > 200k: whole request)
PRO_INPUT = Decimal("1.25")
PRO_OUTPUT = Decimal("10")
PRO_LONG_INPUT = Decimal("2.50")
PRO_LONG_CACHED = Decimal("0.25")
PRO_LONG_OUTPUT = Decimal("15")

THINKING_FILE = "gemini/vertex_generateContent_gemini-2.5-flash_thinking.response.json"
INT_ENUM_FILE = "gemini/vertex_generateContent_vertexai-sdk.response.json"
TOOL_USE_FILE = "gemini/gemini_api_toolUsePromptTokenCount.responses.json"
CACHED_FILE = "gemini/gemini_cachedContentTokenCount_video.responses.json"

THINKING_ID = "hizpaKmcH9qs698P85HHgAU"
INT_ENUM_ID = "T5akaImrHM2Dm9IPlu_Z0QI"
TOOL_USE_ID = "qgqkaI-iDLrTjMcP0bP24A4"
CACHED_ID = "JiyGasHJHe-wjMcP4aqWmQg"
LONG_ID = "capture-pro-250k"
AT_THRESHOLD_ID = "capture-pro-200k"
BATCH_ID = "capture-batch"
PRIORITY_ID = "capture-priority"
PRIORITY_INT_ID = "capture-priority-int"
PROVISIONED_ID = "capture-provisioned"
SEARCH_ID = "capture-google-search"
NO_CANDIDATES_ID = "capture-no-candidates"
FAILED_ID = "capture-failed"

METADATA = {"team": "media", "feature": "video-summary", "environment": "prod",
            "session_id": "s-9", "user_id": "u-4"}


def with_usage(relative: str, **usage) -> dict:
    """A real body with some usageMetadata counts replaced (None removes the count)."""
    body = recorded_bodies(relative)[0]
    for name, value in usage.items():
        if value is None:
            body["usageMetadata"].pop(name, None)
        else:
            body["usageMetadata"][name] = value
    return body


@pytest.fixture(scope="module")
def gemini_home(tmp_path_factory) -> Home:
    tmp = tmp_path_factory.mktemp("gemini")
    home = Home(tmp / "home")
    search = recorded_bodies(TOOL_USE_FILE)[0]
    search["candidates"][0]["groundingMetadata"]["webSearchQueries"] = ["pydantic ai"]
    captures = [
        # Vertex bodies stamp createTime: they load bare, no envelope needed.
        *recorded_bodies(THINKING_FILE),
        *recorded_bodies(INT_ENUM_FILE),
        envelope(recorded_bodies(TOOL_USE_FILE)[0], request_id=None,
                 started_at="2025-11-20T10:00:00Z", ended_at="2025-11-20T10:00:03.250Z",
                 request={"model": "gemini-2.5-flash"}),
        envelope(recorded_bodies(CACHED_FILE)[0], request_id=None,
                 started_at="2025-11-20T10:01:00Z", metadata=METADATA,
                 request={"labels": {"team": "label-team", "cost_center": "cc-7"}}),
        # A 250k-token prompt (50k of it cached) on gemini-2.5-pro, and one exactly at 200k.
        envelope(with_usage(INT_ENUM_FILE, promptTokenCount=250_000,
                            cachedContentTokenCount=50_000),
                 request_id=LONG_ID, started_at="2025-11-20T11:00:00Z"),
        envelope(with_usage(INT_ENUM_FILE, promptTokenCount=200_000),
                 request_id=AT_THRESHOLD_ID, started_at="2025-11-20T11:01:00Z"),
        envelope(recorded_bodies(CACHED_FILE)[0], request_id=BATCH_ID,
                 started_at="2025-11-20T12:00:00Z", service_tier="batch"),
        envelope(with_usage(THINKING_FILE, trafficType="ON_DEMAND_PRIORITY"),
                 request_id=PRIORITY_ID, started_at="2025-11-20T12:01:00Z"),
        envelope(with_usage(INT_ENUM_FILE, trafficType=3),
                 request_id=PRIORITY_INT_ID, started_at="2025-11-20T12:02:00Z"),
        envelope(with_usage(THINKING_FILE, trafficType="PROVISIONED_THROUGHPUT"),
                 request_id=PROVISIONED_ID, started_at="2025-11-20T12:03:00Z"),
        envelope(search, request_id=SEARCH_ID, started_at="2025-11-20T12:04:00Z"),
        envelope(with_usage(THINKING_FILE, candidatesTokenCount=None),
                 request_id=NO_CANDIDATES_ID, started_at="2025-11-20T12:05:00Z"),
        envelope(None, request_id=FAILED_ID, started_at="2025-11-20T12:06:00Z", status="failure",
                 request={"model": "gemini-2.5-flash"},
                 error={"error": {"code": 503, "status": "UNAVAILABLE"}}),
    ]
    (result,) = ingest(home, write_jsonl(tmp / "captures.jsonl", captures), "gemini")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (
        len(captures), len(captures), 0)
    warehouse.build(home)
    return home


def test_thinking_tokens_are_billed_on_top_of_candidates(gemini_home):
    """Trap: candidatesTokenCount (433) leaves out the 1477 thinking tokens."""
    row = request_row(gemini_home, THINKING_ID)
    assert row["provider"] == "google"
    assert row["api_surface"] == "generateContent"
    assert (row["model_raw"], row["model"]) == ("gemini-2.5-flash", "gemini-2.5-flash")
    assert row["service_tier"] == "standard"  # trafficType ON_DEMAND
    assert row["occurred_at"] == datetime(2025, 10, 10, 15, 55, 50, 511529, tzinfo=UTC)
    assert row["input_tokens"] == 8
    assert row["output_tokens"] == 433 + 1477 == 1910
    assert row["reasoning_output_tokens"] == 1477
    assert row["input_tokens"] + row["output_tokens"] == 1918  # totalTokenCount
    expected = (8 * FLASH_INPUT + 1910 * FLASH_OUTPUT) / MTOK
    assert row["output_cost_usd"] == 1910 * FLASH_OUTPUT / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0047774")
    assert row["price_id"] == "google/gemini-2.5-flash/standard/0/2025-06-17"


def test_vertex_int_enums(gemini_home):
    """enum-encoding=int: trafficType 1 is ON_DEMAND, modality 1 is TEXT."""
    row = request_row(gemini_home, INT_ENUM_ID)
    assert (row["model"], row["service_tier"]) == ("gemini-2.5-pro", "standard")
    assert (row["input_tokens"], row["output_tokens"], row["reasoning_output_tokens"]) == (
        5, 5 + 294, 294)
    assert row["input_tokens"] + row["output_tokens"] == 304  # totalTokenCount
    expected = (5 * PRO_INPUT + 299 * PRO_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.00299625")


def test_tool_use_prompt_tokens_are_input_outside_prompt_count(gemini_home):
    """Trap: url_context results (2395 tokens) are not in promptTokenCount (32)."""
    row = request_row(gemini_home, TOOL_USE_ID)
    assert row["input_tokens"] == 32 + 2395 == 2427
    assert row["output_tokens"] == 41 + 47 == 88
    assert row["reasoning_output_tokens"] == 47
    assert row["input_tokens"] + row["output_tokens"] == 2515  # totalTokenCount
    assert row["latency_ms"] == 3250
    # url_context writes groundingMetadata too, but no search queries: no grounding fee.
    assert row["web_search_calls"] == 0
    expected = (2427 * FLASH_INPUT + 88 * FLASH_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0009481")


def test_cached_content_is_inside_prompt_count(gemini_home):
    """Trap: cachedContentTokenCount (17379) is a subset of promptTokenCount (17713)."""
    row = request_row(gemini_home, CACHED_ID)
    assert row["input_tokens"] == 17713
    assert row["cache_read_input_tokens"] == 17379
    assert row["uncached_input_tokens"] == 17713 - 17379 == 334
    assert row["cache_creation_input_tokens"] == 0
    assert row["output_tokens"] == 68 + 821 == 889
    assert row["input_tokens"] + row["output_tokens"] == 18602  # totalTokenCount
    assert row["service_tier"] == "standard"  # serviceTier "standard"
    assert row["cache_read_cost_usd"] == 17379 * FLASH_CACHED / MTOK
    expected = (334 * FLASH_INPUT + 17379 * FLASH_CACHED + 889 * FLASH_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.00284407")


def test_envelope_metadata_and_vertex_labels_are_attribution(gemini_home):
    row = request_row(gemini_home, CACHED_ID)
    # The envelope's metadata wins over a request label of the same key.
    assert (row["team"], row["feature"], row["environment"]) == ("media", "video-summary", "prod")
    assert (row["session_id"], row["user_id"]) == ("s-9", "u-4")
    assert row["tags"]["cost_center"] == "cc-7"


def test_long_context_gemini_25_pro_prices_the_whole_request_above_200k(gemini_home):
    row = request_row(gemini_home, LONG_ID)
    assert (row["input_tokens"], row["cache_read_input_tokens"]) == (250_000, 50_000)
    assert row["price_id"] == "google/gemini-2.5-pro/standard/200000/2025-06-17"
    expected = (200_000 * PRO_LONG_INPUT + 50_000 * PRO_LONG_CACHED
                + 299 * PRO_LONG_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.516985")


def test_exactly_200k_prompt_tokens_is_still_the_base_price(gemini_home):
    row = request_row(gemini_home, AT_THRESHOLD_ID)
    assert row["input_tokens"] == 200_000
    assert row["price_id"] == "google/gemini-2.5-pro/standard/0/2025-06-17"
    assert row["cost_usd"] == (200_000 * PRO_INPUT + 299 * PRO_OUTPUT) / MTOK == Decimal("0.25299")


def test_batch_from_the_envelope_uses_batch_prices(gemini_home):
    row = request_row(gemini_home, BATCH_ID)
    assert row["service_tier"] == "batch"
    expected = (334 * FLASH_BATCH_INPUT + 17379 * FLASH_BATCH_CACHED
                + 889 * FLASH_BATCH_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.00168272")


@pytest.mark.parametrize(
    ("request_id", "tier", "model"),
    [(PRIORITY_ID, "priority", "gemini-2.5-flash"),
     (PRIORITY_INT_ID, "priority", "gemini-2.5-pro"),
     (PROVISIONED_ID, "provisioned_throughput", "gemini-2.5-flash")],
    ids=["ON_DEMAND_PRIORITY", "trafficType_3", "PROVISIONED_THROUGHPUT"],
)
def test_non_standard_traffic_is_unpriced_not_standard(gemini_home, request_id, tier, model):
    row = request_row(gemini_home, request_id)
    assert row["service_tier"] == tier
    assert row["is_priced"] is False
    assert row["cost_usd"] is None
    assert row["unpriced_reason"] == f"no {tier}-tier price for google/{model}"


def test_google_search_grounding_is_one_billed_prompt(gemini_home):
    row = request_row(gemini_home, SEARCH_ID)
    assert row["web_search_calls"] == 1
    assert row["tool_cost_usd"] == FLASH_GROUNDING_PER_PROMPT
    assert row["cost_usd"] == Decimal("0.0009481") + FLASH_GROUNDING_PER_PROMPT


def test_absent_candidates_count_is_zero(gemini_home):
    """proto3 JSON omits zero counts: no candidatesTokenCount means no candidate tokens."""
    row = request_row(gemini_home, NO_CANDIDATES_ID)
    assert (row["input_tokens"], row["output_tokens"], row["reasoning_output_tokens"]) == (
        8, 1477, 1477)


def test_failed_call_envelope_loads_with_zero_tokens(gemini_home):
    row = request_row(gemini_home, FAILED_ID)
    assert (row["status"], row["model"]) == ("failure", "gemini-2.5-flash")
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"]) == (0, 0, Decimal("0"))


def test_gemini_api_body_without_envelope_is_quarantined(home):
    """The Gemini API body carries no time: the recorded VCR file itself cannot be dated."""
    path = fixture_path(TOOL_USE_FILE)
    assert detect(path).source == "gemini"
    (result,) = ingest(home, path, "gemini")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (1, 0, 1)
    warehouse.build(home)
    (rejected,) = quarantine_rows(home)
    assert rejected["reason_code"] == "missing_timestamp"
    assert "createTime" in rejected["reason"]


def test_vertex_body_file_loads_as_it_is(home):
    path = fixture_path(THINKING_FILE)
    assert detect(path).source == "gemini"
    (result,) = ingest(home, path, "gemini")
    assert (result.records_read, result.records_loaded) == (1, 1)
    warehouse.build(home)
    assert request_row(home, THINKING_ID)["cost_usd"] == Decimal("0.0047774")


def test_capture_file_is_detected_as_gemini(tmp_path):
    captures = [envelope(body, request_id=None, started_at="2025-11-20T10:00:00Z")
                for body in recorded_bodies(CACHED_FILE) + recorded_bodies(INT_ENUM_FILE)]
    path = write_jsonl(tmp_path / "captures.jsonl", captures)
    assert detect(path).source == "gemini"


def test_vertex_create_time_wins_over_the_envelope_start(gemini_home):
    """createTime is Google's own clock: the envelope's started_at only dates Gemini API bodies."""
    row = request_row(gemini_home, PRIORITY_ID)
    assert row["occurred_at"] == datetime(2025, 10, 10, 15, 55, 50, 511529, tzinfo=UTC)
    assert request_row(gemini_home, CACHED_ID)["occurred_at"] == datetime(
        2025, 11, 20, 10, 1, tzinfo=UTC)


def test_daily_costs_count_every_request_once(gemini_home):
    days = query(gemini_home, "SELECT usage_date, sum(requests) AS requests, "
                 "sum(unpriced_requests) AS unpriced FROM daily_costs "
                 "WHERE provider = 'google' GROUP BY usage_date ORDER BY usage_date")
    assert [(str(d["usage_date"]), d["requests"], d["unpriced"]) for d in days] == [
        ("2025-08-19", 4, 1),  # int-enum body, 250k, 200k, trafficType 3
        ("2025-10-10", 4, 2),  # thinking body, priority, provisioned, no candidates
        ("2025-11-20", 5, 0),  # Gemini API bodies dated by the envelope
    ]
