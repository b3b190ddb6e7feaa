"""LiteLLM proxy logs -> canonical requests, on LiteLLM's own recorded test payloads.

Quirks protected here:
- a LiteLLM_SpendLogs row (GCS/PubSub payload) carries ``metadata`` and ``request_tags`` as
  JSON-encoded *strings*, and naive "YYYY-MM-DD HH:MM:SS.ffffff" timestamps that mean UTC;
- SpendLogs has no cache or reasoning columns: they live only in ``metadata.usage_object``;
- LiteLLM reports usage the OpenAI way (``prompt_tokens`` includes cache reads and writes), but
  older Anthropic mappings left the cache parts out of ``prompt_tokens`` -- then the cache reads
  exceed the prompt and must be added back, or input is under-counted;
- ``spend`` / ``response_cost`` is LiteLLM's claim (kept as reported_cost_usd), not our price.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from conftest import fixture_json, fixture_path, ingest, request_row, write_jsonl

from pipelines import warehouse
from pipelines.paths import Home

MTOK = Decimal(1_000_000)
# openai/gpt-4o/standard/0/2024-10-03 (pricing/prices.csv), USD per 1M tokens
GPT_4O_INPUT = Decimal("2.50")
GPT_4O_CACHED = Decimal("1.25")
GPT_4O_OUTPUT = Decimal("10")
# anthropic/claude-sonnet-4-5/standard/0/2025-09-29, USD per 1M tokens
SONNET_45_INPUT = Decimal("3")
SONNET_45_CACHE_READ = Decimal("0.30")
SONNET_45_CACHE_WRITE_5M = Decimal("3.75")
SONNET_45_CACHE_WRITE_1H = Decimal("6")
SONNET_45_OUTPUT = Decimal("15")

SPEND_LOG_ID = "chatcmpl-2283081b-dc89-41f6-93e6-d4f914774027"
CALLBACK_ID = "chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f"
RECORDED_AT = datetime(2025, 1, 24, 9, 20, 46, 847371, tzinfo=UTC)

CACHED_REASONING_ID = "litellm-test-cached-reasoning"
ANTHROPIC_INCLUDED_ID = "litellm-test-anthropic-prompt-includes-cache"
ANTHROPIC_OLD_SHAPE_ID = "litellm-test-anthropic-prompt-excludes-cache"
ANTHROPIC_1H_ID = "litellm-test-anthropic-1h-cache-write"


def litellm_anthropic_usage(*, ephemeral_5m: int, ephemeral_1h: int) -> dict:
    """LiteLLM's usage object for the real Anthropic cache call (3 uncached + 1111 read + 418
    written, 33 out), in LiteLLM's current Anthropic mapping: OpenAI-style prompt_tokens that
    include the cache, details under prompt_tokens_details."""
    return {
        "prompt_tokens": 1532, "completion_tokens": 33, "total_tokens": 1565,
        "completion_tokens_details": {"reasoning_tokens": 0, "text_tokens": 33},
        "prompt_tokens_details": {
            "cached_tokens": 1111, "text_tokens": 3,
            "cache_write_tokens": 418, "cache_creation_tokens": 418,
            "cache_creation_token_details": {"ephemeral_5m_input_tokens": ephemeral_5m,
                                             "ephemeral_1h_input_tokens": ephemeral_1h},
        },
        "cache_creation_input_tokens": 418,
        "cache_read_input_tokens": 1111,
        "inference_geo": "not_available",
        "service_tier": "standard",
    }


def spend_log_row(request_id: str, *, usage_object: dict, **columns) -> dict:
    """The real SpendLogs payload with another request id, usage and columns. metadata stays a
    JSON string (as LiteLLM writes it), with usage_object replaced."""
    row = copy.deepcopy(fixture_json("litellm/spend_logs_payload.json"))
    metadata = json.loads(row["metadata"])
    metadata["usage_object"] = usage_object
    row["metadata"] = json.dumps(metadata)
    row["request_id"] = request_id
    row["prompt_tokens"] = usage_object["prompt_tokens"]
    row["completion_tokens"] = usage_object["completion_tokens"]
    row["total_tokens"] = usage_object["total_tokens"]
    row.update(columns)
    return row


@pytest.fixture(scope="module")
def litellm_home(tmp_path_factory) -> Home:
    """One warehouse holding both recorded payloads and the rows the tests construct from them."""
    tmp = tmp_path_factory.mktemp("litellm")
    home = Home(tmp / "home")
    constructed = [
        # An OpenAI call through the proxy with prompt caching and reasoning, tagged.
        spend_log_row(
            CACHED_REASONING_ID,
            usage_object={
                "prompt_tokens": 1000, "completion_tokens": 300, "total_tokens": 1300,
                "prompt_tokens_details": {"cached_tokens": 600, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 120, "audio_tokens": 0},
            },
            request_tags='["feature:search","env:prod"]',
            team_id="team-search",
            end_user="user-42",
        ),
        # Claude through LiteLLM, current mapping: prompt_tokens = 3 uncached + 1111 read + 418
        # written (the token numbers of the real Anthropic response in
        # anthropic/messages_cache_write_read_real_api.responses.json).
        spend_log_row(
            ANTHROPIC_INCLUDED_ID,
            usage_object=litellm_anthropic_usage(ephemeral_5m=418, ephemeral_1h=0),
            model="claude-sonnet-4-5-20250929",
            custom_llm_provider="anthropic",
            startTime="2025-11-20 10:00:00.000000",
            endTime="2025-11-20 10:00:02.500000",
        ),
        # The same call with its cache write at the 1-hour TTL.
        spend_log_row(
            ANTHROPIC_1H_ID,
            usage_object=litellm_anthropic_usage(ephemeral_5m=0, ephemeral_1h=418),
            model="claude-sonnet-4-5-20250929",
            custom_llm_provider="anthropic",
            startTime="2025-11-20 10:10:00.000000",
            endTime="2025-11-20 10:10:02.500000",
        ),
        # Same call, older LiteLLM Anthropic mapping: prompt_tokens is only the uncached 3.
        spend_log_row(
            ANTHROPIC_OLD_SHAPE_ID,
            usage_object={
                "prompt_tokens": 3, "completion_tokens": 33, "total_tokens": 36,
                "cache_read_input_tokens": 1111, "cache_creation_input_tokens": 418,
                "completion_tokens_details": None, "prompt_tokens_details": None,
            },
            model="claude-sonnet-4-5-20250929",
            custom_llm_provider="anthropic",
            startTime="2025-11-20 10:05:00.000000",
            endTime="2025-11-20 10:05:02.500000",
        ),
    ]
    constructed_file = write_jsonl(tmp / "constructed_spend_logs.jsonl", constructed)
    results = ingest(
        home,
        [fixture_path("litellm/spend_logs_payload.json"),
         fixture_path("litellm/standard_logging_payload.json"),
         constructed_file],
        "litellm",
    )
    assert [(r.records_loaded, r.records_quarantined) for r in results] == [(1, 0), (1, 0), (4, 0)]
    warehouse.build(home)
    return home


def test_spend_logs_row_with_stringified_metadata(litellm_home):
    row = request_row(litellm_home, SPEND_LOG_ID)
    assert row["source"] == "litellm"
    assert row["occurred_at"] == RECORDED_AT
    assert row["ended_at"] == datetime(2025, 1, 24, 9, 20, 46, 851954, tzinfo=UTC)
    assert row["provider"] == "openai"
    assert row["model"] == "gpt-4o"
    assert row["service_tier"] == "standard"
    assert (row["input_tokens"], row["output_tokens"]) == (10, 20)
    assert (row["cache_read_input_tokens"], row["cache_creation_input_tokens"]) == (0, 0)
    assert row["reasoning_output_tokens"] == 0
    assert row["session_id"] == "1234567890"
    # Empty-string columns are absent attribution, not a team called "".
    assert row["team"] is None and row["user_id"] is None and row["api_key_hash"] is None
    assert row["reported_cost_usd"] == pytest.approx(0.000225)
    expected = (10 * GPT_4O_INPUT + 20 * GPT_4O_OUTPUT) / MTOK
    assert expected == Decimal("0.000225")
    assert row["cost_usd"] == expected
    assert row["is_priced"] is True
    assert row["price_id"] == "openai/gpt-4o/standard/0/2024-10-03"


def test_standard_logging_payload_with_string_timestamps(litellm_home):
    row = request_row(litellm_home, CALLBACK_ID)
    assert row["occurred_at"] == RECORDED_AT
    assert row["model"] == "gpt-4o"
    assert row["provider"] == "openai"
    assert (row["input_tokens"], row["output_tokens"]) == (10, 20)
    assert row["reported_cost_usd"] == pytest.approx(0.000225)
    assert row["cost_usd"] == Decimal("0.000225")
    assert row["session_id"] is None


def test_standard_logging_payload_epoch_float_timestamps(home, tmp_path):
    """The StandardLoggingPayload TypedDict says startTime/endTime are float epoch seconds
    (the recorded fixture has strings); both must give the same instant."""
    payload = fixture_json("litellm/standard_logging_payload.json")
    payload["startTime"] = RECORDED_AT.timestamp()
    payload["endTime"] = datetime(2025, 1, 24, 9, 20, 46, 851954, tzinfo=UTC).timestamp()
    ingest(home, write_jsonl(tmp_path / "callbacks.jsonl", [payload]), "litellm")
    warehouse.build(home)
    row = request_row(home, CALLBACK_ID)
    assert row["occurred_at"] == RECORDED_AT
    assert row["cost_usd"] == Decimal("0.000225")


def test_usage_object_cache_and_reasoning_buckets_and_tag_attribution(litellm_home):
    row = request_row(litellm_home, CACHED_REASONING_ID)
    # OpenAI convention: prompt_tokens (1000) already includes the 600 cached tokens.
    assert row["input_tokens"] == 1000
    assert row["cache_read_input_tokens"] == 600
    assert row["uncached_input_tokens"] == 400
    assert row["cache_creation_input_tokens"] == 0
    assert row["output_tokens"] == 300
    assert row["reasoning_output_tokens"] == 120
    # request_tags is a JSON string in SpendLogs: '["feature:search","env:prod"]'.
    assert row["feature"] == "search"
    assert row["environment"] == "prod"
    assert row["tags"] == {"feature": "search", "env": "prod"}
    assert row["team"] == "team-search"
    assert row["user_id"] == "user-42"
    assert row["session_id"] == "1234567890"
    input_cost = 400 * GPT_4O_INPUT / MTOK
    cache_read_cost = 600 * GPT_4O_CACHED / MTOK
    output_cost = 300 * GPT_4O_OUTPUT / MTOK  # reasoning is billed as output, inside the 300
    assert row["input_cost_usd"] == input_cost == Decimal("0.001")
    assert row["cache_read_cost_usd"] == cache_read_cost == Decimal("0.00075")
    assert row["output_cost_usd"] == output_cost == Decimal("0.003")
    assert row["cost_usd"] == input_cost + cache_read_cost + output_cost == Decimal("0.00475")


def _sonnet_45_cache_call_cost() -> Decimal:
    # 3 uncached input, 1111 cache read, 418 five-minute cache write, 33 output.
    return (3 * SONNET_45_INPUT + 1111 * SONNET_45_CACHE_READ
            + 418 * SONNET_45_CACHE_WRITE_5M + 33 * SONNET_45_OUTPUT) / MTOK


@pytest.mark.parametrize("request_id", [ANTHROPIC_INCLUDED_ID, ANTHROPIC_OLD_SHAPE_ID],
                         ids=["prompt_tokens_includes_cache", "cache_reads_exceed_prompt_tokens"])
def test_anthropic_via_litellm_cache_tokens_counted_once(litellm_home, request_id):
    """Current mapping: prompt_tokens (1532) already holds the 1111 read + 418 written, so input
    stays 1532 (adding them again would bill 2561). Older mapping: prompt_tokens (3) excludes
    them, visible because the reads exceed the prompt, so input becomes 3 + 1111 + 418."""
    row = request_row(litellm_home, request_id)
    assert row["provider"] == "anthropic"
    assert row["model"] == "claude-sonnet-4-5"
    assert row["input_tokens"] == 1532
    assert row["cache_read_input_tokens"] == 1111
    assert row["cache_creation_input_tokens"] == 418
    assert row["cache_creation_1h_input_tokens"] == 0
    assert row["uncached_input_tokens"] == 3
    assert row["output_tokens"] == 33
    assert row["price_id"] == "anthropic/claude-sonnet-4-5/standard/0/2025-09-29"
    assert row["cost_usd"] == _sonnet_45_cache_call_cost() == Decimal("0.0024048")


def test_anthropic_via_litellm_1h_cache_write_from_cache_creation_token_details(litellm_home):
    """LiteLLM keeps Anthropic's TTL split under
    prompt_tokens_details.cache_creation_token_details; 1-hour writes cost 2x input."""
    row = request_row(litellm_home, ANTHROPIC_1H_ID)
    assert row["input_tokens"] == 1532
    assert row["cache_creation_input_tokens"] == 418
    assert row["cache_creation_1h_input_tokens"] == 418
    assert row["cache_creation_5m_input_tokens"] == 0
    cache_write_cost = 418 * SONNET_45_CACHE_WRITE_1H / MTOK
    assert row["cache_write_cost_usd"] == cache_write_cost == Decimal("0.002508")
    assert row["cost_usd"] == (3 * SONNET_45_INPUT + 1111 * SONNET_45_CACHE_READ
                               + 33 * SONNET_45_OUTPUT) / MTOK + cache_write_cost


def test_raw_virtual_key_is_hashed_and_hashed_key_kept(home, tmp_path):
    """SpendLogs.api_key is normally LiteLLM's sha256 of the virtual key; an emitter that logs
    the raw ``sk-`` key must not get it stored."""
    raw_key = "sk-1234567890abcdefghij"
    already_hashed = hashlib.sha256(b"sk-some-other-key").hexdigest()
    rows = [
        spend_log_row("litellm-raw-key", usage_object={
            "prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}, api_key=raw_key),
        spend_log_row("litellm-hashed-key", usage_object={
            "prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
            api_key=already_hashed),
    ]
    ingest(home, write_jsonl(tmp_path / "keys.jsonl", rows), "litellm")
    warehouse.build(home)
    raw_row = request_row(home, "litellm-raw-key")
    # Stored salted: sha256(salt:value), where value is the adapter's sha256 of a raw key or
    # LiteLLM's own hash.
    salt = home.key_salt()
    hashed_raw = hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_row["api_key_hash"] == hashlib.sha256(f"{salt}:{hashed_raw}".encode()).hexdigest()
    assert raw_key not in repr(raw_row)
    assert request_row(home, "litellm-hashed-key")["api_key_hash"] == hashlib.sha256(
        f"{salt}:{already_hashed}".encode()).hexdigest()


@pytest.mark.parametrize("shape", ["spend_logs", "standard_logging_payload"])
def test_proxy_cache_hit_is_not_billed(home, tmp_path, shape):
    """cache_hit = True means LiteLLM answered from its own cache (Redis/in-memory): no provider
    call, so LiteLLM logs spend 0 (cost_calculator.response_cost_calculator: `if cache_hit ...
    response_cost = 0.0`) while the row still carries the cached response's token usage.
    Pricing those tokens would bill a call nobody paid for."""
    if shape == "spend_logs":
        record = spend_log_row("litellm-cache-hit", usage_object={
            "prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
            cache_hit="True", cache_key="6f2c1d0b9e", spend=0.0)
    else:
        record = fixture_json("litellm/standard_logging_payload.json")
        record.update(id="litellm-cache-hit", cache_hit=True, response_cost=0.0,
                      cache_key="6f2c1d0b9e")
    (result,) = ingest(home, write_jsonl(tmp_path / "hits.jsonl", [record]), "litellm")
    assert result.records_loaded == 1
    warehouse.build(home)
    row = request_row(home, "litellm-cache-hit")
    assert row["reported_cost_usd"] == 0.0
    assert row["is_priced"] is True
    assert row["cost_usd"] == Decimal("0")


def test_repeated_tag_key_keeps_first_value_and_metadata_merges(home, tmp_path):
    """A tag key given twice ("feature:a", "feature:b") once made the whole file fail (DuckDB:
    "Map keys must be unique"); the first value now counts. spend_logs_metadata joins the
    tags (its value wins a key in both, as LiteLLM's own merge); credential-named keys and
    secret-looking values are still dropped or redacted on every path."""
    usage = {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}

    def row(request_id, tags, spend_logs_metadata):
        r = spend_log_row(request_id, usage_object=usage, request_tags=json.dumps(tags))
        metadata = json.loads(r["metadata"])
        metadata["spend_logs_metadata"] = spend_logs_metadata
        r["metadata"] = json.dumps(metadata)
        return r

    rows = [
        row("tags-repeated", ["feature:a", "env:prod", "feature:b", "env:prod"], None),
        row("tags-merged", ["feature:search", "team:core"], {"team": "billing", "tier": "gold"}),
        row("tags-secret", ["feature:x", "api_key:abc"],
            {"note": "Bearer abcdefghijklmnop", "my_token": "t"}),
        row("tags-none", [], {}),
    ]
    [result] = ingest(home, write_jsonl(tmp_path / "tags.jsonl", rows), "litellm")
    assert (result.records_loaded, result.records_quarantined) == (4, 0)
    warehouse.build(home)
    repeated = request_row(home, "tags-repeated")
    assert repeated["tags"] == {"feature": "a", "env": "prod"}
    assert repeated["feature"] == "a"
    merged = request_row(home, "tags-merged")
    assert merged["tags"] == {"feature": "search", "team": "billing", "tier": "gold"}
    assert merged["team"] == "core"  # attribution: the request tag comes first
    assert request_row(home, "tags-secret")["tags"] == {
        "feature": "x", "note": "Bearer [REDACTED]"}
    assert request_row(home, "tags-none")["tags"] == {}
