"""OpenAI SDK captures -> canonical requests, on real recorded api.openai.com responses.

Quirks protected here:
- Chat Completions says ``prompt_tokens``/``completion_tokens``, Responses says
  ``input_tokens``/``output_tokens``; both already include cached input and reasoning output,
  so the cached and reasoning counts are subsets, never added on top;
- built-in tool calls (``output[].type == "web_search_call"``) are billed per call and are not
  in ``usage``;
- the body's ``model`` is a dated snapshot (gpt-5-2025-08-07) priced as the undated model;
- ``service_tier: "default"`` is the standard tier; "priority" has its own price row;
- a bare body (no capture envelope) still has a time: ``created`` (Chat) or ``created_at``
  (Responses), unix seconds. A Responses body always carries ``"error": null``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from conftest import (
    envelope,
    fixture_path,
    ingest,
    query,
    recorded_bodies,
    request_row,
    write_jsonl,
)

from pipelines import warehouse
from pipelines.paths import Home

MTOK = Decimal(1_000_000)
# openai/gpt-4o-mini/standard/0/2024-07-18, USD per 1M tokens
GPT_4O_MINI_INPUT = Decimal("0.15")
GPT_4O_MINI_OUTPUT = Decimal("0.60")
# openai/gpt-5/standard/0/2025-08-07
GPT_5_INPUT = Decimal("1.25")
GPT_5_CACHED = Decimal("0.125")
GPT_5_OUTPUT = Decimal("10")
GPT_5_WEB_SEARCH_PER_CALL = Decimal("0.01")
# openai/gpt-5/priority/0/2025-08-07
GPT_5_PRIORITY_INPUT = Decimal("2.50")
GPT_5_PRIORITY_CACHED = Decimal("0.25")
GPT_5_PRIORITY_OUTPUT = Decimal("20")
GPT_5_PRIORITY_WEB_SEARCH_PER_CALL = Decimal("0.01")
# openai/gpt-5.4/standard/0/2026-03-05
GPT_54_INPUT = Decimal("2.50")
GPT_54_OUTPUT = Decimal("15")

CHAT_FILE = "openai/chat_completions_gpt-4o-mini.response.json"
WEB_SEARCH_FILE = "openai/responses_api_web_search_cached_reasoning.responses.json"
GPT_54_FILE = "openai/responses_api_gpt-5.4_reasoning.response.json"

CHAT_ID = "chatcmpl-ASYMQRl3A3DXL9FWCK9tnGRcKIO7q"
WEB_SEARCH_ID = "resp_0b385a0fdc82fd920068c4aaf3ced88197a88711e356b032c4"
GPT_54_ID = "resp_05177a4994c7df3a0069e2f402f00881a1b9eda520cb779fef"

ENVELOPED_WEB_SEARCH_ID = "capture-web-search"
ENVELOPED_GPT_54_ID = "capture-gpt-5.4"
ENVELOPED_CHAT_ID = "capture-chat-offset"
PRIORITY_ID = "capture-web-search-priority"
FAILED_ID = "capture-rate-limited"

METADATA = {"team": "growth", "feature": "web-answers", "environment": "prod",
            "session_id": "sess-7", "user_id": "user-9"}


def web_search_body() -> dict:
    (body,) = recorded_bodies(WEB_SEARCH_FILE)
    return body


@pytest.fixture(scope="module")
def openai_home(tmp_path_factory) -> Home:
    """Envelope captures built from the real bodies, in one warehouse."""
    tmp = tmp_path_factory.mktemp("openai")
    home = Home(tmp / "home")
    (gpt_54_body,) = recorded_bodies(GPT_54_FILE)
    (chat_body,) = recorded_bodies(CHAT_FILE)
    priority_body = web_search_body()
    priority_body["service_tier"] = "priority"
    captures = [
        envelope(web_search_body(), request_id=ENVELOPED_WEB_SEARCH_ID,
                 started_at="2025-09-12T23:21:23.250Z", ended_at="2025-09-12T23:21:58.750Z",
                 metadata=METADATA, request={"model": "gpt-5", "tools": [{"type": "web_search"}]}),
        envelope(gpt_54_body, request_id=ENVELOPED_GPT_54_ID,
                 started_at="2026-04-18T03:01:22Z", ended_at="2026-04-18T03:01:28Z",
                 request={"model": "gpt-5.4"}),
        # A zone offset, not Z: occurred_at is the same instant in UTC.
        envelope(chat_body, request_id=ENVELOPED_CHAT_ID,
                 started_at="2024-11-12T00:43:50+01:00", request={"model": "gpt-4o-mini"}),
        envelope(priority_body, request_id=PRIORITY_ID,
                 started_at="2025-09-13T08:00:00Z", request={"model": "gpt-5"}),
        # A failed call: the envelope carries the provider's error body instead of a response.
        envelope(None, request_id=FAILED_ID, started_at="2025-09-13T09:00:00Z",
                 ended_at="2025-09-13T09:00:00.400Z", status="failure",
                 request={"model": "gpt-5"},
                 error={"error": {"message": "Rate limit reached for gpt-5", "type": "requests",
                                  "param": None, "code": "rate_limit_exceeded"}}),
    ]
    results = ingest(home, write_jsonl(tmp / "captures.jsonl", captures), "openai")
    assert [(r.records_loaded, r.records_quarantined) for r in results] == [(5, 0)]
    warehouse.build(home)
    return home


def test_chat_completions_bare_body_uses_created(home):
    """The recorded file as-is: one pretty-printed body, no envelope."""
    (result,) = ingest(home, fixture_path(CHAT_FILE), "openai")
    assert (result.records_read, result.records_loaded) == (1, 1)
    warehouse.build(home)
    row = request_row(home, CHAT_ID)
    # created: 1731368630
    assert row["occurred_at"] == datetime(2024, 11, 11, 23, 43, 50, tzinfo=UTC)
    assert row["provider"] == "openai"
    assert row["api_surface"] == "chat.completions"
    assert row["model_raw"] == "gpt-4o-mini-2024-07-18"
    assert row["model"] == "gpt-4o-mini"
    assert row["service_tier"] == "standard"
    assert (row["input_tokens"], row["output_tokens"]) == (12, 5)
    assert row["cache_read_input_tokens"] == 0
    assert row["reasoning_output_tokens"] == 0
    assert row["web_search_calls"] == 0
    assert row["team"] is None
    expected = (12 * GPT_4O_MINI_INPUT + 5 * GPT_4O_MINI_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0000048")
    assert row["price_id"] == "openai/gpt-4o-mini/standard/0/2024-07-18"


def test_responses_bare_body_with_error_null_uses_created_at(home, tmp_path):
    """A Responses body always has a top-level ``"error": null``; that must not make it look
    like a capture envelope (whose ``response`` would then be missing)."""
    path = write_jsonl(tmp_path / "bare_responses.jsonl", [web_search_body()])
    (result,) = ingest(home, path, "openai")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (1, 1, 0)
    warehouse.build(home)
    row = request_row(home, WEB_SEARCH_ID)
    assert row["occurred_at"] == datetime(2025, 9, 12, 23, 21, 23, tzinfo=UTC)  # created_at
    assert (row["input_tokens"], row["cache_read_input_tokens"]) == (9463, 8320)
    assert (row["output_tokens"], row["reasoning_output_tokens"]) == (660, 512)


def test_responses_gpt_54_recorded_file_as_is(home):
    """The recorded gpt-5.4 body, one pretty-printed document: created_at and completed_at."""
    (result,) = ingest(home, fixture_path(GPT_54_FILE), "openai")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (1, 1, 0)
    warehouse.build(home)
    row = request_row(home, GPT_54_ID)
    assert row["occurred_at"] == datetime(2026, 4, 18, 3, 1, 22, tzinfo=UTC)  # created_at
    assert row["ended_at"] == datetime(2026, 4, 18, 3, 1, 28, tzinfo=UTC)  # completed_at
    assert row["latency_ms"] == 6000
    assert row["model"] == "gpt-5.4"
    assert (row["input_tokens"], row["output_tokens"]) == (44, 288)
    assert row["reasoning_output_tokens"] == 9


def test_responses_web_search_cached_reasoning(openai_home):
    row = request_row(openai_home, ENVELOPED_WEB_SEARCH_ID)
    assert row["api_surface"] == "responses"
    assert row["occurred_at"] == datetime(2025, 9, 12, 23, 21, 23, 250000, tzinfo=UTC)
    assert row["latency_ms"] == 35500
    assert row["model_raw"] == "gpt-5-2025-08-07"
    assert row["model"] == "gpt-5"
    assert row["service_tier"] == "standard"  # the body says "default"
    # input_tokens 9463 already includes the 8320 cached; output 660 includes 512 reasoning.
    assert row["input_tokens"] == 9463
    assert row["cache_read_input_tokens"] == 8320
    assert row["uncached_input_tokens"] == 1143
    assert row["cache_creation_input_tokens"] == 0
    assert row["output_tokens"] == 660
    assert row["reasoning_output_tokens"] == 512
    assert row["web_search_calls"] == 1
    input_cost = 1143 * GPT_5_INPUT / MTOK
    cache_read_cost = 8320 * GPT_5_CACHED / MTOK
    output_cost = 660 * GPT_5_OUTPUT / MTOK
    tool_cost = 1 * GPT_5_WEB_SEARCH_PER_CALL
    assert row["input_cost_usd"] == input_cost == Decimal("0.00142875")
    assert row["cache_read_cost_usd"] == cache_read_cost == Decimal("0.00104")
    assert row["output_cost_usd"] == output_cost == Decimal("0.0066")
    assert row["tool_cost_usd"] == tool_cost
    assert row["cost_usd"] == input_cost + cache_read_cost + output_cost + tool_cost
    assert row["cost_usd"] == Decimal("0.01906875")
    assert row["price_id"] == "openai/gpt-5/standard/0/2025-08-07"


def test_envelope_metadata_is_attribution(openai_home):
    row = request_row(openai_home, ENVELOPED_WEB_SEARCH_ID)
    assert row["team"] == "growth"
    assert row["feature"] == "web-answers"
    assert row["environment"] == "prod"
    assert row["session_id"] == "sess-7"
    assert row["user_id"] == "user-9"
    assert row["tags"]["team"] == "growth"
    sessions = query(openai_home, "SELECT * FROM session_costs WHERE session_id = 'sess-7'")
    assert len(sessions) == 1
    assert sessions[0]["team"] == "growth"
    assert sessions[0]["cost_usd"] == Decimal("0.01906875")


def test_responses_gpt_54_reasoning_tokens_in_envelope(openai_home):
    row = request_row(openai_home, ENVELOPED_GPT_54_ID)
    assert row["model_raw"] == "gpt-5.4-2026-03-05"
    assert row["model"] == "gpt-5.4"
    assert row["input_tokens"] == 44
    assert row["cache_read_input_tokens"] == 0
    assert row["output_tokens"] == 288
    assert row["reasoning_output_tokens"] == 9
    assert row["latency_ms"] == 6000
    assert row["team"] is None
    expected = (44 * GPT_54_INPUT + 288 * GPT_54_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.00443")
    assert row["price_id"] == "openai/gpt-5.4/standard/0/2026-03-05"


def test_envelope_started_at_with_offset_is_utc(openai_home):
    row = request_row(openai_home, ENVELOPED_CHAT_ID)
    assert row["occurred_at"] == datetime(2024, 11, 11, 23, 43, 50, tzinfo=UTC)
    assert str(row["usage_date"]) == "2024-11-11"
    assert row["cost_usd"] == Decimal("0.0000048")


def test_priority_tier_priced_at_priority_row(openai_home):
    row = request_row(openai_home, PRIORITY_ID)
    assert row["service_tier"] == "priority"
    assert row["price_id"] == "openai/gpt-5/priority/0/2025-08-07"
    expected = (1143 * GPT_5_PRIORITY_INPUT + 8320 * GPT_5_PRIORITY_CACHED
                + 660 * GPT_5_PRIORITY_OUTPUT) / MTOK + 1 * GPT_5_PRIORITY_WEB_SEARCH_PER_CALL
    assert row["cost_usd"] == expected == Decimal("0.0281375")


def test_usage_raw_keeps_the_provider_fields(openai_home):
    row = request_row(openai_home, ENVELOPED_WEB_SEARCH_ID)
    assert json.loads(row["usage_raw"]) == web_search_body()["usage"]


def test_failed_call_envelope_loads_with_zero_tokens(openai_home):
    """Failed calls are not billed, but they count as requests (retry storms show up here)."""
    row = request_row(openai_home, FAILED_ID)
    assert row["status"] == "failure"
    assert row["model"] == "gpt-5"
    assert (row["input_tokens"], row["output_tokens"]) == (0, 0)
    assert row["is_priced"] is True
    assert row["cost_usd"] == Decimal("0")
