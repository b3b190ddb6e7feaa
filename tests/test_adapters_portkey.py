"""Portkey log exports -> canonical requests.

All Portkey records here are CONSTRUCTED from the documented export columns (Portkey docs, logs
export: created_at, request.body, response.body, is_success, ai_org, ai_model, req_units,
res_units, total_units, cost, cost_currency, response_time, cache_status, trace_id, metadata,
virtual_key ...); no public recorded export was found. The response bodies reuse the usage of
the real recorded OpenAI and Anthropic responses in tests/fixtures, so costs check by hand.

Quirks protected here:
- ``cost`` is in CENTS of USD: reported_cost_usd = cost / 100;
- ``cache_status`` HIT / SEMANTIC HIT = Portkey's own cache answered: the provider was not
  called, so it bills nothing (the warehouse prices a gateway cache hit at 0, is_priced true);
- bodies come nested ({"request": {"body": ...}}) or flattened with a dot in the key
  ({"request.body": ...}), as objects or as JSON text;
- req_units is the whole prompt; the cache buckets come from the OpenAI-style usage in
  response.body; an Anthropic-style usage whose cache reads + writes exceed the prompt count
  means the prompt count was the uncached part: they are added back;
- metadata is an object or JSON text, keys matched case-insensitively, Portkey's reserved
  ``_user`` is the user;
- ``is_success`` 0 is a failed call; the virtual key is only ever stored hashed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from conftest import ingest, quarantine_rows, request_row, write_jsonl

from pipelines import warehouse
from pipelines.detect import detect
from pipelines.paths import Home

MTOK = Decimal(1_000_000)
# openai/gpt-5/standard/0/2025-08-07
GPT_5_INPUT, GPT_5_CACHED, GPT_5_OUTPUT = Decimal("1.25"), Decimal("0.125"), Decimal("10")
# anthropic/claude-sonnet-4-5/standard/0/2025-09-29
SONNET_45_INPUT, SONNET_45_READ = Decimal("3"), Decimal("0.30")
SONNET_45_WRITE_5M, SONNET_45_OUTPUT = Decimal("3.75"), Decimal("15")

# Usage of the real gpt-5 Responses call (tests/fixtures/openai/...web_search_cached_reasoning),
# in Chat Completions spelling as Portkey's unified API returns it.
GPT_5_USAGE = {"prompt_tokens": 9463, "completion_tokens": 660, "total_tokens": 10123,
               "prompt_tokens_details": {"cached_tokens": 8320},
               "completion_tokens_details": {"reasoning_tokens": 512}}
GPT_5_COST_USD = (1143 * GPT_5_INPUT + 8320 * GPT_5_CACHED + 660 * GPT_5_OUTPUT) / MTOK


def portkey_log(log_id: str, **fields) -> dict:
    record = {
        "id": log_id, "created_at": "2025-09-12T23:21:23.250Z",
        "request": {"body": {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}},
        "response": {"body": {"id": "chatcmpl-x", "object": "chat.completion",
                              "model": "gpt-5-2025-08-07", "usage": GPT_5_USAGE}},
        "is_success": 1, "ai_org": "openai", "ai_model": "gpt-5",
        "req_units": 9463, "res_units": 660, "total_units": 10123,
        "cost": 0.906875, "cost_currency": "USD",
        "request_url": "https://api.portkey.ai/v1/chat/completions", "request_method": "POST",
        "response_status_code": 200, "response_time": 35500, "cache_status": "MISS",
        "cache_type": None, "stream_mode": 0, "retry_success_count": 0,
        "trace_id": "trace-pk-1",
        "metadata": {"Team": "growth", "feature": "web-answers", "environment": "prod",
                     "_user": "user-pk-1", "session_id": "sess-pk-1"},
        "virtual_key": "openai-prod-7f3a",
    }
    record.update(fields)
    return record


NESTED = portkey_log("pk-nested")
FLATTENED = {key: value for key, value in portkey_log("pk-flat").items()
             if key not in ("request", "response")}
FLATTENED["request.body"] = json.dumps(NESTED["request"]["body"])
FLATTENED["response.body"] = json.dumps(NESTED["response"]["body"])
FLATTENED["metadata"] = json.dumps({"team": "search", "ENV": "staging"})
HIT = portkey_log("pk-hit", cache_status="HIT", cache_type="SIMPLE", cost=0, response_time=8)
SEMANTIC_HIT = portkey_log("pk-semantic-hit", cache_status="SEMANTIC HIT",
                           cache_type="SEMANTIC", cost=0, response_time=40)
FAILED = portkey_log("pk-failed", is_success=0, response_status_code=429,
                     req_units=None, res_units=None, total_units=0, cost=0,
                     response={"body": {"error": {"message": "Rate limit", "code": 429}}})
# The real Anthropic cache call, in Anthropic's own usage spelling (uncached input_tokens).
ANTHROPIC = portkey_log(
    "pk-anthropic", ai_org="anthropic", ai_model="claude-sonnet-4-5-20250929",
    created_at="2025-10-02 08:00:00", req_units=3, res_units=33, total_units=36, cost=0.24048,
    request_url="https://api.portkey.ai/v1/messages", virtual_key=None,
    response={"body": {"type": "message", "model": "claude-sonnet-4-5-20250929", "usage": {
        "input_tokens": 3, "output_tokens": 33, "cache_read_input_tokens": 1111,
        "cache_creation_input_tokens": 418}}})
EURO = portkey_log("pk-eur", cost=0.8, cost_currency="EUR")


@pytest.fixture(scope="module")
def portkey_home(tmp_path_factory) -> Home:
    tmp = tmp_path_factory.mktemp("portkey")
    home = Home(tmp / "home")
    path = write_jsonl(tmp / "portkey_logs.jsonl",
                       [NESTED, FLATTENED, HIT, SEMANTIC_HIT, FAILED, ANTHROPIC, EURO])
    (result,) = ingest(home, path, "portkey")
    assert (result.records_loaded, result.records_quarantined) == (7, 0)
    warehouse.build(home)
    return home


def test_cost_is_cents(portkey_home):
    row = request_row(portkey_home, "pk-nested")
    assert row["reported_cost_usd"] == pytest.approx(0.00906875)  # 0.906875 cents
    assert row["cost_usd"] == GPT_5_COST_USD == Decimal("0.00906875")
    assert row["tags"]["cost_currency"] == "USD"


def test_nested_bodies_tokens_and_attribution(portkey_home):
    row = request_row(portkey_home, "pk-nested")
    assert row["occurred_at"] == datetime(2025, 9, 12, 23, 21, 23, 250000, tzinfo=UTC)
    assert row["ended_at"] == datetime(2025, 9, 12, 23, 21, 58, 750000, tzinfo=UTC)
    assert row["latency_ms"] == 35500
    assert (row["provider"], row["model"]) == ("openai", "gpt-5")
    assert row["api_surface"] == "chat.completions"
    assert row["status"] == "success"
    assert row["is_gateway_cache_hit"] is False  # MISS
    assert row["input_tokens"] == 9463  # req_units
    assert row["cache_read_input_tokens"] == 8320  # response.body usage
    assert row["output_tokens"] == 660  # res_units
    assert row["reasoning_output_tokens"] == 512
    assert (row["team"], row["feature"], row["environment"]) == ("growth", "web-answers", "prod")
    assert row["user_id"] == "user-pk-1"  # _user
    assert row["session_id"] == "sess-pk-1"
    assert row["trace_id"] == "trace-pk-1"
    # The virtual key is stored as sha256(salt:sha256(key)), never as the key or its bare hash.
    hashed = hashlib.sha256(b"openai-prod-7f3a").hexdigest()
    salt = portkey_home.key_salt()
    assert row["api_key_hash"] == hashlib.sha256(f"{salt}:{hashed}".encode()).hexdigest()
    assert "openai-prod-7f3a" not in json.dumps(row["tags"])
    assert json.loads(row["usage_raw"])["req_units"] == 9463


def test_flattened_dotted_keys_and_metadata_string(portkey_home):
    row = request_row(portkey_home, "pk-flat")
    assert (row["input_tokens"], row["cache_read_input_tokens"]) == (9463, 8320)
    assert (row["output_tokens"], row["reasoning_output_tokens"]) == (660, 512)
    assert row["cost_usd"] == GPT_5_COST_USD
    assert (row["team"], row["environment"]) == ("search", "staging")


@pytest.mark.parametrize("log_id", ["pk-hit", "pk-semantic-hit"])
def test_cache_hit_is_a_gateway_cache_hit_that_bills_nothing(portkey_home, log_id):
    row = request_row(portkey_home, log_id)
    assert row["is_gateway_cache_hit"] is True
    assert (row["input_tokens"], row["output_tokens"]) == (9463, 660)  # the cached answer's
    assert row["is_priced"] is True
    assert row["cost_usd"] == 0
    assert row["reported_cost_usd"] == 0.0


def test_failed_call(portkey_home):
    row = request_row(portkey_home, "pk-failed")
    assert row["status"] == "failure"
    assert (row["input_tokens"], row["output_tokens"]) == (0, 0)
    assert row["cost_usd"] == 0


def test_anthropic_uncached_prompt_units_get_cache_added_back(portkey_home):
    """req_units 3 is Anthropic's uncached input; 1111 read + 418 written exceed it."""
    row = request_row(portkey_home, "pk-anthropic")
    assert row["occurred_at"] == datetime(2025, 10, 2, 8, 0, tzinfo=UTC)  # naive = UTC
    assert row["provider"] == "anthropic"
    assert row["api_surface"] == "messages"
    assert row["input_tokens"] == 1532
    assert row["uncached_input_tokens"] == 3
    assert (row["cache_read_input_tokens"], row["cache_creation_input_tokens"]) == (1111, 418)
    assert row["output_tokens"] == 33
    expected = (3 * SONNET_45_INPUT + 1111 * SONNET_45_READ + 418 * SONNET_45_WRITE_5M
                + 33 * SONNET_45_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0024048")
    assert row["reported_cost_usd"] == pytest.approx(0.0024048)
    assert row["api_key_hash"] is None


def test_non_usd_cost_is_not_reported_as_usd(portkey_home):
    row = request_row(portkey_home, "pk-eur")
    assert row["reported_cost_usd"] is None
    assert (row["tags"]["cost"], row["tags"]["cost_currency"]) == ("0.8", "EUR")
    assert row["cost_usd"] == GPT_5_COST_USD


def test_bad_values_are_quarantined_with_reasons(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [
        portkey_log("pk-bad-units", req_units=-1),
        portkey_log("pk-bad-cost", cost="n/a"),
        portkey_log("pk-bad-metadata", metadata="{broken"),
        {key: value for key, value in portkey_log("pk-no-model").items()
         if key not in ("ai_model", "request", "response")},
        portkey_log("pk-ok"),
    ])
    home = Home(tmp_path / "home")
    (result,) = ingest(home, path, "portkey")
    assert (result.records_loaded, result.records_quarantined) == (1, 4)
    warehouse.build(home)
    reasons = {r["request_id"]: (r["reason_code"], r["reason"]) for r in quarantine_rows(home)}
    assert reasons["pk-bad-units"] == ("invalid_tokens", "req_units is negative (-1)")
    assert reasons["pk-bad-cost"][0] == "invalid_number"
    assert reasons["pk-bad-metadata"][0] == "malformed_field"
    assert reasons["pk-no-model"] == ("missing_field", "no model")


def test_detects_portkey_export(tmp_path):
    path = write_jsonl(tmp_path / "export.jsonl", [NESTED, FLATTENED, HIT])
    assert detect(path).source == "portkey"
