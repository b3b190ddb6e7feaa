"""OpenRouter -> canonical requests, on real recorded OpenRouter chat responses.

Quirks protected here:
- OpenRouter bills the request: provider is ``openrouter`` whichever upstream served it ("OpenAI",
  "Google AI Studio", "xAI" go to tags['upstream_provider']); its billed ``usage.cost`` /
  ``total_cost`` is the biller's own statement: billed_cost_usd, the request's price
  (price_source 'billed'); a response without a cost field is priced from OpenRouter's price
  rows (its listed price) when one exists, else stays unpriced, never $0;
- BYOK: ``cost`` is 0 (OpenRouter billed nothing) while ``cost_details.upstream_inference_cost``
  is what the upstream charged the user's own key: reported_cost_usd stays 0 and the upstream
  cost goes to tags['upstream_inference_cost_usd'] (adding it would mix two invoices);
- chat ``usage`` is the OpenAI convention: prompt_tokens includes cached_tokens (and
  cache_write_tokens), completion_tokens includes reasoning_tokens -- subsets, never added;
- without usage accounting there is no ``cost`` at all: reported_cost_usd is NULL, not 0;
- the web search plugin is counted in ``server_tool_use_details.web_search_requests``;
- generation stats have two token counts: tokens_* (OpenRouter's normalised tokenizer) and
  native_tokens_* (the upstream's tokenizer, the billing basis): native wins;
- the slug keeps its vendor: ``openai/`` and ``google/`` are stripped by the model resolver,
  ``x-ai/`` is not, and ``anthropic/claude-sonnet-4.5`` (a dot) needs an alias;
- the generation id (gen-...) is the request id, so a capture and a generation-stats fetch of
  the same call dedupe instead of being counted twice.
The chat bodies are real (tests/fixtures/openrouter, provenance in tests/fixtures/README.md);
generation-stats records are CONSTRUCTED from the documented fields of
GET /api/v1/generation (no public recorded response was found), and say so where used.
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
    quarantine_rows,
    recorded_bodies,
    request_row,
    write_jsonl,
)

from pipelines import warehouse
from pipelines.detect import detect
from pipelines.ingest import ingest_paths
from pipelines.paths import Home

WEB_SEARCH_FILE = "openrouter/chat_completions_usage_cost_web_search.responses.json"
BYOK_FILE = "openrouter/chat_completions_usage_byok.responses.json"
CACHED_REASONING_FILE = "openrouter/chat_completions_usage_cached_reasoning.responses.json"

WEB_SEARCH_ID = "gen-1786465024-LTuiAe3JFScRdoQQj2E3"
BYOK_IDS = ("gen-1764791728-YEVpGoInRszZx8oZ508T", "gen-1764791730-nym6GYDkejhRdrWtv8l3")
CACHED_REASONING_ID = "gen-1759509677-MpJiZ3ZkiGU3lnbM8QKo"

GEN_WRAPPED_ID = "gen-constructed-wrapped-0001"
GEN_BARE_ID = "gen-constructed-bare-0002"
GEN_BYOK_ID = "gen-constructed-byok-0003"
GEN_NORMALIZED_ID = "gen-constructed-normalized-0004"
GEN_SONNET_ID = "gen-constructed-sonnet-0005"

METADATA = {"team": "growth", "feature": "extraction", "environment": "prod",
            "session_id": "sess-or-1", "user_id": "user-or-1"}


def generation(gen_id: str, **fields) -> dict:
    """A generation-stats data object, CONSTRUCTED per the documented fields."""
    data = {
        "id": gen_id, "upstream_id": "chatcmpl-upstream-" + gen_id[-4:],
        "created_at": "2024-07-15T23:33:19.433273+00:00", "model": "openai/gpt-4o-mini",
        "provider_name": "OpenAI", "api_type": "completions", "app_id": 4242,
        "origin": "https://example.test/", "streamed": True, "cancelled": False,
        "latency": 1234, "generation_time": 1100, "moderation_latency": None,
        "finish_reason": "stop", "native_finish_reason": "stop",
        "total_cost": 0.0001695, "usage": 0.0001695, "cache_discount": None,
        "upstream_inference_cost": None, "is_byok": False,
        "tokens_prompt": 1010, "tokens_completion": 25,
        "native_tokens_prompt": 1031, "native_tokens_completion": 28,
        "native_tokens_reasoning": 0, "native_tokens_cached": 0,
        "num_media_prompt": None, "num_media_completion": None, "num_search_results": None,
        "external_user": None, "session_id": None,
    }
    data.update(fields)
    return data


@pytest.fixture(scope="module")
def openrouter_home(tmp_path_factory) -> Home:
    """The three recorded files as they are, plus constructed generation stats and one envelope
    capture, in one warehouse."""
    tmp = tmp_path_factory.mktemp("openrouter")
    home = Home(tmp / "home")
    generations = write_jsonl(tmp / "generations.jsonl", [
        {"data": generation(GEN_WRAPPED_ID, native_tokens_cached=1024,
                            native_tokens_reasoning=12, cache_discount=0.0000768,
                            external_user="end-user-7", session_id="or-sess-3")},
        generation(GEN_BARE_ID, created_at="2024-07-16T01:00:00.5+02:00", latency=800.5),
        {"data": generation(GEN_BYOK_ID, model="google/gemini-2.5-flash",
                            provider_name="Google AI Studio", total_cost=0, usage=0,
                            is_byok=True, upstream_inference_cost=0.0003253,
                            native_tokens_prompt=326, native_tokens_completion=91,
                            tokens_prompt=300, tokens_completion=90)},
        {"data": generation(GEN_NORMALIZED_ID, native_tokens_prompt=None,
                            native_tokens_completion=None)},
        {"data": generation(GEN_SONNET_ID, model="anthropic/claude-sonnet-4.5",
                            provider_name="Anthropic", created_at="2025-10-20T10:00:00+00:00",
                            total_cost=0.0024048, native_tokens_prompt=1532,
                            native_tokens_completion=33, native_tokens_cached=1111)},
    ])
    results = ingest(home, [fixture_path(WEB_SEARCH_FILE), fixture_path(BYOK_FILE),
                            fixture_path(CACHED_REASONING_FILE), generations], "openrouter")
    assert [(r.records_loaded, r.records_quarantined) for r in results] == [
        (1, 0), (2, 0), (1, 0), (5, 0)]
    warehouse.build(home)
    return home


def test_web_search_sample_cost_and_cache_write(openrouter_home):
    row = request_row(openrouter_home, WEB_SEARCH_ID)
    assert row["occurred_at"] == datetime.fromtimestamp(1786465024, UTC)  # created
    assert row["provider"] == "openrouter"
    assert row["model_raw"] == "openai/gpt-4.1-mini"
    assert row["model"] == "gpt-4.1-mini"
    assert row["service_tier"] == "standard"  # "default"
    assert row["api_surface"] == "chat.completions"
    assert row["status"] == "success"
    assert row["input_tokens"] == 8174
    assert row["cache_read_input_tokens"] == 0
    assert row["cache_creation_input_tokens"] == 0  # cache_write_tokens: 0
    assert row["output_tokens"] == 30
    assert row["reasoning_output_tokens"] == 0
    assert row["web_search_calls"] == 1  # server_tool_use_details.web_search_requests
    assert row["reported_cost_usd"] == 0.0133176  # usage.cost, USD billed by OpenRouter
    assert row["tags"]["upstream_provider"] == "OpenAI"
    assert row["tags"]["is_byok"] == "false"
    assert float(row["tags"]["upstream_inference_cost_usd"]) == 0.0133176
    assert json.loads(row["usage_raw"])["server_tool_use_details"] == {"web_search_requests": 1}


def test_openrouter_billed_cost_is_the_price(openrouter_home):
    """OpenRouter bills by its own statement: usage.cost is the request's cost (no price row
    exists for provider openrouter, and none is needed)."""
    row = request_row(openrouter_home, WEB_SEARCH_ID)
    assert row["is_priced"] is True
    assert row["unpriced_reason"] is None
    assert row["cost_usd"] == Decimal("0.0133176")
    assert row["billed_cost_usd"] == 0.0133176
    assert (row["price_id"], row["price_source"]) == (None, "billed")


def test_byok_bills_zero_and_keeps_upstream_cost_in_tags(openrouter_home):
    first, second = (request_row(openrouter_home, i) for i in BYOK_IDS)
    assert (first["input_tokens"], first["output_tokens"]) == (326, 91)
    assert (second["input_tokens"], second["output_tokens"]) == (480, 33)
    for row, upstream in ((first, 0.0003253), (second, 0.0002265)):
        assert row["reported_cost_usd"] == 0.0  # OpenRouter billed nothing ...
        assert float(row["tags"]["upstream_inference_cost_usd"]) == upstream  # ... Google did
        assert upstream > 0
        assert row["tags"]["is_byok"] == "true"
        assert row["tags"]["upstream_provider"] == "Google AI Studio"
        assert row["cache_read_input_tokens"] == 0
        assert row["reasoning_output_tokens"] == 0
        assert row["model_raw"] == "google/gemini-2.5-flash"
        assert row["model"] == "gemini-2.5-flash"
        # BYOK: OpenRouter billed $0; the upstream's charge is on another invoice.
        assert (row["is_priced"], row["cost_usd"]) == (True, Decimal(0))
    assert first["occurred_at"] == datetime.fromtimestamp(1764791728, UTC)


def test_cached_and_reasoning_are_subsets_and_no_cost_field(openrouter_home):
    """x-ai/grok-4 without usage accounting: 687 prompt tokens INCLUDE the 682 cached, 240
    completion tokens INCLUDE the 165 reasoning; no `cost` -> NULL, not 0."""
    row = request_row(openrouter_home, CACHED_REASONING_ID)
    assert row["input_tokens"] == 687
    assert row["cache_read_input_tokens"] == 682
    assert row["uncached_input_tokens"] == 5
    assert row["cache_creation_input_tokens"] == 0
    assert row["output_tokens"] == 240
    assert row["reasoning_output_tokens"] == 165
    assert row["reported_cost_usd"] is None
    assert row["tags"]["upstream_provider"] == "xAI"
    assert "is_byok" not in row["tags"]
    assert row["model_raw"] == "x-ai/grok-4"
    assert row["model"] == "grok-4"  # OpenRouter's vendor/ path is not part of the model
    # No bill in the response: priced at OpenRouter's listed grok-4 price (a curated row;
    # genai-prices 0.2.3 lists x-ai/grok-4-fast and later on OpenRouter, not grok-4 itself):
    # 5 uncached * $3 + 682 cached * $0.75 + 240 output * $15 per 1M tokens.
    assert (row["price_source"], row["cost_usd"]) == ("curated", Decimal("0.0041265"))


def test_generation_stats_native_tokens_are_the_billing_basis(openrouter_home):
    """CONSTRUCTED generation stats ({"data": ...}): native_tokens_* win over tokens_*."""
    row = request_row(openrouter_home, GEN_WRAPPED_ID)
    assert row["input_tokens"] == 1031  # native_tokens_prompt, not tokens_prompt 1010
    assert row["cache_read_input_tokens"] == 1024  # native_tokens_cached
    assert row["output_tokens"] == 28  # native_tokens_completion, not 25
    assert row["reasoning_output_tokens"] == 12
    assert row["reported_cost_usd"] == 0.0001695  # total_cost
    assert row["occurred_at"] == datetime(2024, 7, 15, 23, 33, 19, 433273, tzinfo=UTC)
    assert row["latency_ms"] == 1234
    assert row["ended_at"] == datetime(2024, 7, 15, 23, 33, 20, 667273, tzinfo=UTC)
    assert row["provider"] == "openrouter"
    assert row["model"] == "gpt-4o-mini"
    assert row["api_surface"] == "completions"
    assert row["user_id"] == "end-user-7"  # external_user
    assert row["session_id"] == "or-sess-3"
    tags = row["tags"]
    assert tags["upstream_provider"] == "OpenAI"
    assert tags["app_id"] == "4242"
    assert tags["token_basis"] == "native"
    assert tags["streamed"] == "true"
    assert float(tags["cache_discount_usd"]) == 0.0000768
    assert json.loads(row["usage_raw"])["tokens_prompt"] == 1010


def test_generation_stats_bare_object_with_offset(openrouter_home):
    row = request_row(openrouter_home, GEN_BARE_ID)
    assert row["occurred_at"] == datetime(2024, 7, 15, 23, 0, 0, 500000, tzinfo=UTC)
    assert row["latency_ms"] == 800.5
    assert (row["input_tokens"], row["output_tokens"]) == (1031, 28)


def test_generation_stats_byok(openrouter_home):
    row = request_row(openrouter_home, GEN_BYOK_ID)
    assert (row["input_tokens"], row["output_tokens"]) == (326, 91)
    assert row["reported_cost_usd"] == 0.0
    assert float(row["tags"]["upstream_inference_cost_usd"]) == 0.0003253
    assert row["tags"]["is_byok"] == "true"


def test_generation_stats_without_native_counts_fall_back_to_normalized(openrouter_home):
    row = request_row(openrouter_home, GEN_NORMALIZED_ID)
    assert (row["input_tokens"], row["output_tokens"]) == (1010, 25)
    assert row["tags"]["token_basis"] == "normalized"


def test_generation_served_from_openrouter_cache_bills_nothing(tmp_path):
    """CONSTRUCTED: response_cache_source_id set and total_cost 0 -> a gateway cache hit (the
    warehouse prices it at 0); a cached response that was billed is not treated as free."""
    path = write_jsonl(tmp_path / "gens.jsonl", [
        {"data": generation("gen-cached-free", total_cost=0, usage=0,
                            response_cache_source_id="gen-original-1")},
        {"data": generation("gen-cached-billed", response_cache_source_id="gen-original-2")},
    ])
    home = Home(tmp_path / "home")
    ingest(home, path, "openrouter")
    warehouse.build(home)
    free = request_row(home, "gen-cached-free")
    assert free["is_gateway_cache_hit"] is True
    assert (free["is_priced"], free["cost_usd"]) == (True, 0)
    assert free["tags"]["response_cache_source_id"] == "gen-original-1"
    billed = request_row(home, "gen-cached-billed")
    assert billed["is_gateway_cache_hit"] is False
    assert billed["reported_cost_usd"] == 0.0001695


def test_anthropic_slug_with_a_dot_resolves_by_alias_and_is_priced_by_its_bill(openrouter_home):
    row = request_row(openrouter_home, GEN_SONNET_ID)
    assert row["model_raw"] == "anthropic/claude-sonnet-4.5"
    assert row["model"] == "claude-sonnet-4-5"  # pricing/model_aliases.csv
    assert (row["input_tokens"], row["cache_read_input_tokens"]) == (1532, 1111)
    assert row["reported_cost_usd"] == 0.0024048
    # Anthropic's price rows are for provider anthropic; OpenRouter bills its own statement.
    assert (row["is_priced"], row["price_source"]) == (True, "billed")
    assert row["cost_usd"] == Decimal("0.0024048")


def test_generation_stats_of_a_captured_call_is_a_duplicate(tmp_path):
    """The same call seen twice -- its chat response, then GET /generation for its id -- is one
    request: both carry the gen- id, so the second is a duplicate, not double the spend."""
    home = Home(tmp_path / "home")
    (first,) = ingest(home, fixture_path(WEB_SEARCH_FILE), "openrouter")
    stats = write_jsonl(tmp_path / "stats.jsonl", [{"data": generation(
        WEB_SEARCH_ID, created_at="2026-08-11T16:17:04.120000+00:00",
        model="openai/gpt-4.1-mini", total_cost=0.0133176,
        native_tokens_prompt=8174, native_tokens_completion=30)}])
    (second,) = ingest(home, stats, "openrouter")
    assert (first.records_loaded, second.records_loaded, second.records_duplicate) == (1, 0, 1)
    warehouse.build(home)
    row = request_row(home, WEB_SEARCH_ID)
    assert row["source_file"].endswith("chat_completions_usage_cost_web_search.responses.json")


def test_envelope_metadata_is_attribution(tmp_path):
    (body, _) = recorded_bodies(BYOK_FILE)
    path = write_jsonl(tmp_path / "captures.jsonl", [
        envelope(body, request_id="capture-or-2", started_at="2025-12-03T19:55:27.900Z",
                 ended_at="2025-12-03T19:55:29.400Z", metadata=METADATA,
                 request={"model": "google/gemini-2.5-flash"}),
    ])
    home = Home(tmp_path / "home")
    (result,) = ingest(home, path, "openrouter")
    assert (result.records_loaded, result.records_quarantined) == (1, 0)
    warehouse.build(home)
    row = request_row(home, BYOK_IDS[0])
    assert row["occurred_at"] == datetime(2025, 12, 3, 19, 55, 27, 900000, tzinfo=UTC)
    assert row["latency_ms"] == 1500
    assert (row["team"], row["feature"], row["environment"]) == ("growth", "extraction", "prod")
    assert (row["session_id"], row["user_id"]) == ("sess-or-1", "user-or-1")
    assert row["tags"]["capture_request_id"] == "capture-or-2"
    assert row["tags"]["team"] == "growth"
    assert (row["input_tokens"], row["output_tokens"]) == (326, 91)


def test_bad_generation_records_are_quarantined(tmp_path):
    path = write_jsonl(tmp_path / "generations.jsonl", [
        {"data": generation("gen-naive", created_at="2024-07-15 23:33:19")},
        {"data": generation("gen-negative", native_tokens_prompt=-3)},
        {"data": generation("gen-ok")},
    ])
    home = Home(tmp_path / "home")
    (result,) = ingest(home, path, "openrouter")
    assert (result.records_loaded, result.records_quarantined) == (1, 2)
    warehouse.build(home)
    reasons = {r["request_id"]: (r["reason_code"], r["reason"]) for r in quarantine_rows(home)}
    assert reasons["gen-naive"][0] == "naive_timestamp"
    assert "created_at" in reasons["gen-naive"][1]
    assert reasons["gen-negative"] == ("invalid_tokens", "native_tokens_prompt is negative (-3)")


def test_detects_generation_stats(tmp_path):
    path = write_jsonl(tmp_path / "gens.jsonl", [{"data": generation("gen-a")},
                                                 generation("gen-b")])
    assert detect(path).source == "openrouter"


def test_recorded_chat_files_load_without_source(tmp_path):
    """The chat bodies have the OpenAI shape; the gen- id and the upstream `provider` string
    make them OpenRouter's, so content alone decides."""
    results = ingest_paths([fixture_path(WEB_SEARCH_FILE)], Home(tmp_path / "home"))
    assert [(r.source, r.records_loaded) for r in results] == [("openrouter", 1)]


@pytest.mark.parametrize("relative", [WEB_SEARCH_FILE, BYOK_FILE, CACHED_REASONING_FILE])
def test_detects_recorded_chat_responses(relative):
    assert detect(fixture_path(relative)).source == "openrouter"
