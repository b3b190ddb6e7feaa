"""Hand-computed costs: the pricing traps that make every gateway's numbers drift.

Anthropic prices cache writes at 1.25x (5 minutes) or 2x (1 hour) and reads at 0.1x; OpenAI
bills reasoning as output; priority and long-context tiers re-price the whole request; o3's
June 2025 price cut must not re-price history; an unknown model is unpriced, never $0.
Every expected figure below is worked out by hand from pricing/prices.csv.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines import pricing, pricing_litellm
from pipelines.ingest import ingest_paths
from pipelines.paths import Home
from pipelines.warehouse import build, open_read_only

M = Decimal(1_000_000)


def anthropic_capture(request_id, started_at, model, *, uncached, read=0, write_5m=0,
                      write_1h=0, output=0, thinking=None, tier="standard"):
    usage = {
        "input_tokens": uncached,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write_5m + write_1h,
        "cache_creation": {"ephemeral_5m_input_tokens": write_5m,
                           "ephemeral_1h_input_tokens": write_1h},
        "output_tokens": output,
        "service_tier": tier,
    }
    if thinking is not None:
        usage["output_tokens_details"] = {"thinking_tokens": thinking}
    return {
        "request_id": request_id,
        "started_at": started_at,
        "ended_at": started_at,
        "metadata": {"team": "search", "feature": "answers", "environment": "prod"},
        "response": {"id": f"msg_{request_id}", "type": "message", "model": model,
                     "usage": usage},
    }


def openai_capture(request_id, started_at, model, *, prompt, cached=0, completion=0,
                   reasoning=0, tier="default"):
    return {
        "request_id": request_id,
        "started_at": started_at,
        "metadata": {"team": "growth", "feature": "agent", "environment": "prod"},
        "response": {
            "id": f"chatcmpl-{request_id}", "object": "chat.completion", "created": 0,
            "model": model, "service_tier": tier,
            "usage": {
                "prompt_tokens": prompt, "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": cached},
                "completion_tokens_details": {"reasoning_tokens": reasoning},
            },
        },
    }


def warehouse_for(tmp_path: Path, records: dict[str, list[dict]]) -> Home:
    home = Home(tmp_path / "home")
    for source, rows in records.items():
        path = tmp_path / f"{source}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        results = ingest_paths([path], home, source=source)
        assert results[0].records_loaded == len(rows), results
    build(home)
    return home


def costs(home: Home) -> dict[str, tuple]:
    con = open_read_only(home)
    rows = con.execute(
        "SELECT request_id, cost_usd, input_cost_usd, cache_read_cost_usd, "
        "cache_write_cost_usd, output_cost_usd, is_priced, unpriced_reason, price_id, model, "
        "input_tokens FROM requests"
    ).fetchall()
    con.close()
    return {row[0]: row[1:] for row in rows}


def test_anthropic_cache_read_and_both_write_ttls(tmp_path):
    home = warehouse_for(tmp_path, {"anthropic": [anthropic_capture(
        "a1", "2026-01-10T12:00:00Z", "claude-sonnet-4-5-20250929",
        uncached=1000, read=2000, write_5m=400, write_1h=100, output=300, thinking=120)]})
    cost, input_cost, read_cost, write_cost, output_cost, priced, _, price_id, model, tokens = (
        costs(home)["a1"])
    # claude-sonnet-4-5 standard: $3 input, $0.30 read, $3.75 5m write, $6 1h write, $15 output.
    assert (model, tokens, priced) == ("claude-sonnet-4-5", 3500, True)
    assert price_id == "anthropic/claude-sonnet-4-5/standard/0/2025-09-29"
    assert input_cost == 1000 * Decimal(3) / M
    assert read_cost == 2000 * Decimal("0.3") / M
    assert write_cost == 400 * Decimal("3.75") / M + 100 * Decimal(6) / M
    assert output_cost == 300 * Decimal(15) / M
    assert cost == Decimal("0.0102")


def test_openai_reasoning_is_billed_as_output_and_cached_tokens_are_inside_prompt(tmp_path):
    home = warehouse_for(tmp_path, {"openai": [openai_capture(
        "o1", "2026-02-01T08:00:00Z", "gpt-5-2025-08-07",
        prompt=5000, cached=4096, completion=2000, reasoning=1500)]})
    cost, input_cost, read_cost, _, output_cost, priced, *_ = costs(home)["o1"]
    # gpt-5 standard: $1.25 input, $0.125 cached, $10 output; 904 uncached prompt tokens.
    assert input_cost == 904 * Decimal("1.25") / M
    assert read_cost == 4096 * Decimal("0.125") / M
    assert output_cost == 2000 * Decimal(10) / M
    assert cost == Decimal("0.021642")


def test_priority_tier_reprices_the_whole_request(tmp_path):
    home = warehouse_for(tmp_path, {"openai": [openai_capture(
        "p1", "2026-02-01T08:00:00Z", "gpt-5", prompt=5000, cached=4096, completion=2000,
        tier="priority")]})
    cost, *_, price_id, _, _ = costs(home)["p1"]
    # gpt-5 priority: $2.50 input, $0.25 cached, $20 output.
    assert price_id == "openai/gpt-5/priority/0/2025-08-07"
    assert cost == Decimal("0.043284")


def test_long_context_tier_starts_above_272k_input_tokens(tmp_path):
    home = warehouse_for(tmp_path, {"openai": [
        openai_capture("long", "2026-06-01T00:00:00Z", "gpt-5.4-2026-03-05",
                       prompt=300_000, completion=1000),
        openai_capture("edge", "2026-06-01T00:00:00Z", "gpt-5.4", prompt=272_000,
                       completion=1000),
    ]})
    found = costs(home)
    # Above 272k: $5 input, $22.50 output for the whole request.
    assert found["long"][0] == Decimal("1.5225")
    assert found["long"][7] == "openai/gpt-5.4/standard/272000/2026-03-05"
    # Exactly 272k is not above it: base $2.50 / $15.
    assert found["edge"][0] == Decimal("0.695")
    assert found["edge"][7] == "openai/gpt-5.4/standard/0/2026-03-05"


def test_o3_price_cut_boundary_keeps_history_at_the_old_price(tmp_path):
    home = warehouse_for(tmp_path, {"openai": [
        openai_capture("before", "2025-06-09T23:59:59Z", "o3-2025-04-16", prompt=1000,
                       completion=1000),
        openai_capture("after", "2025-06-10T00:00:00Z", "o3-2025-04-16", prompt=1000,
                       completion=1000),
    ]})
    found = costs(home)
    assert found["before"][0] == Decimal("0.05")  # $10 + $40 per 1M
    assert found["after"][0] == Decimal("0.01")  # $2 + $8 per 1M


def test_unknown_model_is_unpriced_not_zero(tmp_path):
    home = warehouse_for(tmp_path, {"openai": [
        openai_capture("u1", "2026-02-01T08:00:00Z", "acme-llm-7b", prompt=100, completion=10),
    ]})
    cost, *_, priced, reason, price_id, model, _ = costs(home)["u1"]
    assert (cost, priced, price_id, model) == (None, False, None, "acme-llm-7b")
    assert reason == "no price for model openai/acme-llm-7b"
    con = open_read_only(home)
    assert con.execute(
        "SELECT unpriced_requests, cost_usd FROM daily_costs").fetchall() == [(1, Decimal(0))]
    con.close()


def test_known_model_without_a_price_for_its_tier_or_date_says_which(tmp_path):
    home = warehouse_for(tmp_path, {"anthropic": [
        anthropic_capture("flex", "2026-01-10T12:00:00Z", "claude-haiku-4-5", uncached=10,
                          output=1, tier="flex"),
        anthropic_capture("early", "2024-01-10T12:00:00Z", "claude-haiku-4-5", uncached=10,
                          output=1),
        anthropic_capture("batch", "2026-01-10T12:00:00Z", "claude-haiku-4-5-20251001",
                          uncached=1000, output=1000, tier="batch"),
    ]})
    found = costs(home)
    assert found["flex"][6] == "no flex-tier price for anthropic/claude-haiku-4-5"
    assert found["early"][6] == (
        "no price for anthropic/claude-haiku-4-5 (standard) effective on 2024-01-10")
    # Batch: $0.50 input, $2.50 output.
    assert found["batch"][0] == Decimal("0.003")


def test_price_change_reprices_history_on_the_next_build(tmp_path):
    home = warehouse_for(tmp_path, {"openai": [
        openai_capture("n1", "2026-02-01T08:00:00Z", "gpt-4o", prompt=1000, completion=1000),
    ]})
    assert costs(home)["n1"][0] == Decimal("0.0125")  # $2.50 + $10
    override = home.pricing / "overrides.csv"
    with open(pricing.PRICING_DIR / "prices.csv") as handle:
        header = handle.readline()
    override.write_text(
        header + "neg/gpt-4o,openai,gpt-4o,standard,0,2026-01-15,,2,1,2,2,8,,contract,"
        "negotiated discount\n"
    )
    result = build(home)
    assert result.full and "price" in result.reason
    cost, *_, price_id, _, _ = costs(home)["n1"]
    assert (cost, price_id) == (Decimal("0.01"), "neg/gpt-4o")


def test_litellm_import_adds_a_dated_version_and_curated_rows_win(tmp_path):
    litellm_map = {
        "sample_spec": {"mode": "chat"},
        "gpt-4o": {"litellm_provider": "openai", "mode": "chat",
                   "input_cost_per_token": 9e-06, "output_cost_per_token": 9e-05},
        "mistral/acme-large-2411": {"litellm_provider": "mistral", "mode": "chat",
                                    "input_cost_per_token": 2e-06,
                                    "output_cost_per_token": 6e-06},
        "mistral/mistral-large-2411": {"litellm_provider": "mistral", "mode": "chat",
                                       "input_cost_per_token": 9e-06,
                                       "output_cost_per_token": 9e-06},
        "text-embedding-3-small": {"litellm_provider": "openai", "mode": "embedding",
                                   "input_cost_per_token": 2e-08},
    }
    source = tmp_path / "model_prices_and_context_window.json"
    source.write_text(json.dumps(litellm_map))
    home = Home(tmp_path / "home").ensure()
    target, count = pricing_litellm.import_litellm(source, home.pricing / "imported",
                                           effective_from=date(2026, 1, 1))
    assert (target.name, count) == ("litellm-2026-01-01.csv", 3)

    # acme-large-2411 is a model only this map lists (genai-prices does not know it);
    # mistral-large-2411 is in both: the genai-prices version ranks above LiteLLM's.
    records = [
        openai_capture("curated", "2026-02-01T08:00:00Z", "gpt-4o", prompt=1000, completion=1000),
        openai_capture("imported", "2026-02-01T08:00:00Z", "acme-large-2411", prompt=1000,
                       completion=1000),
        openai_capture("too-early", "2025-12-31T23:00:00Z", "acme-large-2411", prompt=1000,
                       completion=1000),
        openai_capture("genai", "2026-02-01T08:00:00Z", "mistral-large-2411", prompt=1000,
                       completion=1000),
    ]
    for record in records[1:]:
        record["provider"] = "mistral"
    found = costs(warehouse_for(tmp_path, {"openai": records}))
    assert found["curated"][0] == Decimal("0.0125")
    assert found["imported"][0] == Decimal("0.008")
    assert found["imported"][7] == "litellm:2026-01-01/mistral/acme-large-2411/standard/0"
    assert found["too-early"][5] is False
    # genai-prices 0.2.3: Mistral Large 24.11 at $2 input, $6 output per 1M.
    assert found["genai"][7] == (
        "genai-prices:0.2.3/mistral/mistral-large-2411/standard/0/2020-01-01")
    assert found["genai"][0] == Decimal("0.008")


def test_bad_price_file_is_rejected_with_the_row(tmp_path):
    home = Home(tmp_path / "home").ensure()
    with open(pricing.PRICING_DIR / "prices.csv") as handle:
        header = handle.readline()
    (home.pricing / "overrides.csv").write_text(
        header + "x,openai,gpt-4o,standard,0,2026-01-15,,2,,2,2,8,,u,missing cache read\n")
    with pytest.raises(pricing.PriceFileError, match="overrides.csv:2: cache_read_usd_per_mtok"):
        pricing.load(home)


def test_curated_price_table_loads_and_covers_the_required_models():
    book = pricing.load()
    models = set(book.rows.column("model").to_pylist())
    required = {"gpt-5.4", "gpt-5.4-mini", "gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4.1-mini",
                "gpt-4o", "gpt-4o-mini", "o3", "claude-opus-4-6", "claude-sonnet-4-6",
                "claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-pro", "gemini-2.5-flash"}
    assert required <= models
