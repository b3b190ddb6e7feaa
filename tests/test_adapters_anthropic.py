"""Anthropic SDK captures -> canonical requests, on real recorded Messages API responses.

Quirks protected here:
- Anthropic ``usage.input_tokens`` EXCLUDES cache reads and cache writes (the opposite of
  OpenAI): the canonical (OTel) input is input_tokens + cache_read + cache_creation;
- cache writes split into 5-minute and 1-hour parts (``cache_creation.ephemeral_*``), priced at
  1.25x and 2x the input price;
- a Messages body carries no timestamp, so only the capture envelope can date it;
- Claude on Bedrock returns the same body shape with ``msg_bdrk_`` ids and no ``service_tier``,
  but AWS bills it: it must not be priced at Anthropic's list price (nor at $0).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import envelope, ingest, query, recorded_bodies, request_row, write_jsonl

from pipelines import warehouse
from pipelines.paths import Home

MTOK = Decimal(1_000_000)
# anthropic/claude-sonnet-4-5/standard/0/2025-09-29 (pricing/prices.csv), USD per 1M tokens
SONNET_45_INPUT = Decimal("3")
SONNET_45_CACHE_READ = Decimal("0.30")
SONNET_45_CACHE_WRITE_5M = Decimal("3.75")  # 1.25x input
SONNET_45_CACHE_WRITE_1H = Decimal("6")  # 2x input
SONNET_45_OUTPUT = Decimal("15")
SONNET_45_WEB_SEARCH_PER_CALL = Decimal("0.01")
# anthropic/claude-sonnet-4-5/standard/200000/2025-09-29 (input above 200k tokens)
SONNET_45_LONG_INPUT = Decimal("6")
SONNET_45_LONG_CACHE_READ = Decimal("0.60")
SONNET_45_LONG_CACHE_WRITE_5M = Decimal("7.50")
SONNET_45_LONG_OUTPUT = Decimal("22.50")

DIRECT_FILE = "anthropic/messages_cache_write_read_real_api.responses.json"
BEDROCK_FILE = "anthropic/messages_on_bedrock_invoke_cache_real_api.responses.json"

READ_ID = "msg_01UUPT9QdZnZSRzcQJkjG25U"  # cache read 1111, no write, 406 output
WRITE_ID = "msg_01KPaKTJSqAKoZri7Ujrny58"  # cache read 1111, 5m write 418, 33 output
BEDROCK_READ_ID = "msg_bdrk_01H8tV2orbi5sQVskxVthgZy"
BEDROCK_WRITE_ID = "msg_bdrk_01PwGjqAJE4R8ZBE8KCtMEjG"
ONE_HOUR_ID = "capture-1h-write"
MIXED_TTL_ID = "capture-5m-and-1h-write"
WEB_SEARCH_ID = "capture-web-search"
PRIORITY_ID = "capture-priority"
FAILED_ID = "capture-overloaded"
LONG_CONTEXT_ID = "capture-long-context"

METADATA = {"team": "support", "feature": "ticket-summary", "environment": "staging",
            "session_id": "conv-12", "user_id": "agent-3"}


def write_body_with_cache_creation(ephemeral_5m: int, ephemeral_1h: int) -> dict:
    """The real cache-write response with its 418 written tokens split into other TTLs."""
    body = recorded_bodies(DIRECT_FILE)[1]
    assert body["usage"]["cache_creation_input_tokens"] == 418
    body["usage"]["cache_creation"] = {"ephemeral_1h_input_tokens": ephemeral_1h,
                                       "ephemeral_5m_input_tokens": ephemeral_5m}
    return body


@pytest.fixture(scope="module")
def anthropic_home(tmp_path_factory) -> Home:
    tmp = tmp_path_factory.mktemp("anthropic")
    home = Home(tmp / "home")
    read_body, write_body = recorded_bodies(DIRECT_FILE)
    bedrock_read, bedrock_write = recorded_bodies(BEDROCK_FILE)
    web_search = recorded_bodies(DIRECT_FILE)[0]
    web_search["usage"]["server_tool_use"] = {"web_search_requests": 2, "web_fetch_requests": 0}
    priority = recorded_bodies(DIRECT_FILE)[1]
    priority["usage"]["service_tier"] = "priority"
    # Past 200k input tokens (cache included) the whole request is priced at the long-context
    # row: a conversation re-reading a 210k cached prefix.
    long_context = recorded_bodies(DIRECT_FILE)[1]
    long_context["usage"]["cache_read_input_tokens"] = 210_000
    captures = [
        envelope(read_body, request_id=READ_ID, started_at="2025-11-20T10:00:00Z",
                 ended_at="2025-11-20T10:00:09.125Z", metadata=METADATA,
                 request={"model": "claude-sonnet-4-5"}),
        envelope(write_body, request_id=WRITE_ID, started_at="2025-11-20T10:01:00Z",
                 ended_at="2025-11-20T10:01:01.500Z", metadata=METADATA),
        # No envelope request_id: the body's msg_bdrk_ id is the request id.
        envelope(bedrock_read, request_id=None, started_at="2025-11-20T11:00:00Z"),
        envelope(bedrock_write, request_id=None, started_at="2025-11-20T11:01:00Z"),
        envelope(write_body_with_cache_creation(0, 418), request_id=ONE_HOUR_ID,
                 started_at="2025-11-20T12:00:00Z"),
        envelope(write_body_with_cache_creation(118, 300), request_id=MIXED_TTL_ID,
                 started_at="2025-11-20T12:01:00Z"),
        envelope(web_search, request_id=WEB_SEARCH_ID, started_at="2025-11-20T12:02:00Z"),
        envelope(priority, request_id=PRIORITY_ID, started_at="2025-11-20T12:03:00Z"),
        envelope(long_context, request_id=LONG_CONTEXT_ID, started_at="2025-11-20T12:05:00Z"),
        envelope(None, request_id=FAILED_ID, started_at="2025-11-20T12:04:00Z", status="failure",
                 request={"model": "claude-sonnet-4-5-20250929"},
                 error={"type": "error",
                        "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ]
    results = ingest(home, write_jsonl(tmp / "captures.jsonl", captures), "anthropic")
    assert [(r.records_loaded, r.records_quarantined) for r in results] == [(10, 0)]
    warehouse.build(home)
    return home


def test_cache_write_and_read_input_includes_cache(anthropic_home):
    row = request_row(anthropic_home, WRITE_ID)
    assert row["provider"] == "anthropic"
    assert row["api_surface"] == "messages"
    assert row["model_raw"] == "claude-sonnet-4-5-20250929"
    assert row["model"] == "claude-sonnet-4-5"
    assert row["service_tier"] == "standard"
    # Wire: input_tokens 3, cache_read_input_tokens 1111, cache_creation_input_tokens 418.
    assert row["input_tokens"] == 3 + 1111 + 418 == 1532
    assert row["uncached_input_tokens"] == 3
    assert row["cache_read_input_tokens"] == 1111
    assert row["cache_creation_input_tokens"] == 418
    assert row["cache_creation_5m_input_tokens"] == 418
    assert row["cache_creation_1h_input_tokens"] == 0
    assert row["output_tokens"] == 33
    assert row["latency_ms"] == 1500
    input_cost = 3 * SONNET_45_INPUT / MTOK
    cache_read_cost = 1111 * SONNET_45_CACHE_READ / MTOK
    cache_write_cost = 418 * SONNET_45_CACHE_WRITE_5M / MTOK
    output_cost = 33 * SONNET_45_OUTPUT / MTOK
    assert row["input_cost_usd"] == input_cost == Decimal("0.000009")
    assert row["cache_read_cost_usd"] == cache_read_cost == Decimal("0.0003333")
    assert row["cache_write_cost_usd"] == cache_write_cost == Decimal("0.0015675")
    assert row["output_cost_usd"] == output_cost == Decimal("0.000495")
    assert row["cost_usd"] == Decimal("0.0024048")
    assert row["is_priced"] is True
    assert row["price_id"] == "anthropic/claude-sonnet-4-5/standard/0/2025-09-29"


def test_cache_read_only_response(anthropic_home):
    row = request_row(anthropic_home, READ_ID)
    assert row["input_tokens"] == 3 + 1111 == 1114
    assert row["cache_read_input_tokens"] == 1111
    assert row["cache_creation_input_tokens"] == 0
    assert row["output_tokens"] == 406
    expected = (3 * SONNET_45_INPUT + 1111 * SONNET_45_CACHE_READ + 406 * SONNET_45_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0064323")


def test_envelope_metadata_is_attribution(anthropic_home):
    row = request_row(anthropic_home, READ_ID)
    assert (row["team"], row["feature"], row["environment"]) == (
        "support", "ticket-summary", "staging")
    assert (row["session_id"], row["user_id"]) == ("conv-12", "agent-3")
    (session,) = query(anthropic_home, "SELECT * FROM session_costs WHERE session_id = 'conv-12'")
    assert session["calls"] == 2
    assert session["cost_usd"] == Decimal("0.0064323") + Decimal("0.0024048")


def test_one_hour_cache_write_priced_at_2x_input(anthropic_home):
    row = request_row(anthropic_home, ONE_HOUR_ID)
    assert row["cache_creation_input_tokens"] == 418
    assert row["cache_creation_1h_input_tokens"] == 418
    assert row["cache_creation_5m_input_tokens"] == 0
    assert row["input_tokens"] == 1532
    assert SONNET_45_CACHE_WRITE_1H == 2 * SONNET_45_INPUT
    cache_write_cost = 418 * SONNET_45_CACHE_WRITE_1H / MTOK
    assert row["cache_write_cost_usd"] == cache_write_cost == Decimal("0.002508")
    expected = (3 * SONNET_45_INPUT + 1111 * SONNET_45_CACHE_READ + 33 * SONNET_45_OUTPUT) / MTOK
    assert row["cost_usd"] == expected + cache_write_cost == Decimal("0.0033453")


def test_mixed_ttl_cache_write(anthropic_home):
    row = request_row(anthropic_home, MIXED_TTL_ID)
    assert row["cache_creation_input_tokens"] == 418
    assert row["cache_creation_1h_input_tokens"] == 300
    assert row["cache_creation_5m_input_tokens"] == 118
    cache_write_cost = (118 * SONNET_45_CACHE_WRITE_5M + 300 * SONNET_45_CACHE_WRITE_1H) / MTOK
    assert row["cache_write_cost_usd"] == cache_write_cost == Decimal("0.0022425")


def test_server_tool_use_web_search_priced_per_call(anthropic_home):
    row = request_row(anthropic_home, WEB_SEARCH_ID)
    assert row["web_search_calls"] == 2
    assert row["tool_cost_usd"] == 2 * SONNET_45_WEB_SEARCH_PER_CALL
    assert row["cost_usd"] == Decimal("0.0064323") + Decimal("0.02")


def test_priority_tier_without_price_row_is_unpriced_not_zero(anthropic_home):
    row = request_row(anthropic_home, PRIORITY_ID)
    assert row["service_tier"] == "priority"
    assert row["is_priced"] is False
    assert row["cost_usd"] is None
    assert row["unpriced_reason"] == "no priority-tier price for anthropic/claude-sonnet-4-5"


@pytest.mark.parametrize(
    ("request_id", "tokens", "cost"),
    [
        # Bedrock claude-haiku-4-5: $1.10 input, $0.11 read, $1.375 5m write, $5.50 output.
        (BEDROCK_READ_ID, {"input_tokens": 3 + 9511, "cache_read_input_tokens": 9511,
                           "cache_creation_input_tokens": 0, "output_tokens": 1944},
         Decimal("0.01174151")),
        (BEDROCK_WRITE_ID, {"input_tokens": 3 + 9511 + 1956, "cache_read_input_tokens": 9511,
                            "cache_creation_input_tokens": 1956, "output_tokens": 44},
         Decimal("0.00398101")),
    ],
    ids=["cache_read", "cache_write"],
)
def test_claude_on_bedrock_is_aws_billed_at_bedrock_prices(anthropic_home, request_id, tokens,
                                                            cost):
    row = request_row(anthropic_home, request_id)
    assert row["provider"] == "aws_bedrock"
    assert row["model_raw"] == "claude-haiku-4-5-20251001"
    assert row["model"] == "claude-haiku-4-5"
    assert row["service_tier"] == "standard"  # Bedrock bodies carry no service_tier
    assert {name: row[name] for name in tokens} == tokens
    assert row["is_priced"] is True
    assert row["price_id"] == "aws_bedrock/claude-haiku-4-5/standard/0/2025-10-15"
    assert row["cost_usd"] == cost


def test_bedrock_calls_are_counted_in_daily_costs_under_aws(anthropic_home):
    (day,) = query(anthropic_home, "SELECT * FROM daily_costs WHERE provider = 'aws_bedrock'")
    assert day["requests"] == 2
    assert day["unpriced_requests"] == 0
    assert day["cost_usd"] == Decimal("0.01174151") + Decimal("0.00398101")


def test_bare_body_without_envelope_is_quarantined(home, tmp_path):
    """A Messages body has no time of its own; guessing one would misdate the cost."""
    path = write_jsonl(tmp_path / "bare.jsonl", recorded_bodies(DIRECT_FILE)[1:])
    (result,) = ingest(home, path, "anthropic")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (1, 0, 1)
    warehouse.build(home)
    (rejected,) = query(home, "SELECT * FROM quarantine")
    assert rejected["source_line"] == 1
    assert rejected["reason_code"] == "missing_timestamp"
    assert "started_at" in rejected["reason"]


def test_failed_call_envelope_loads_with_zero_tokens(anthropic_home):
    row = request_row(anthropic_home, FAILED_ID)
    assert row["status"] == "failure"
    assert row["provider"] == "anthropic"
    assert row["model"] == "claude-sonnet-4-5"
    assert (row["input_tokens"], row["output_tokens"]) == (0, 0)
    assert row["cost_usd"] == Decimal("0")


def test_long_context_threshold_counts_cache_reads(anthropic_home):
    """Anthropic's 200k long-context price applies when input *including cache* exceeds 200k;
    the wire's input_tokens (3) alone would never cross it."""
    row = request_row(anthropic_home, LONG_CONTEXT_ID)
    assert row["input_tokens"] == 3 + 210_000 + 418
    assert row["price_id"] == "anthropic/claude-sonnet-4-5/standard/200000/2025-09-29"
    expected = (3 * SONNET_45_LONG_INPUT + 210_000 * SONNET_45_LONG_CACHE_READ
                + 418 * SONNET_45_LONG_CACHE_WRITE_5M + 33 * SONNET_45_LONG_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.1298955")
