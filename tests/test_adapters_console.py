"""Anthropic Console CSV exports -> usage_buckets (sources anthropic_console_cost and _tokens).

Quirks of the real files (tests/fixtures/anthropic_console/, provenance in the fixtures README):
- columns are read by header name: the cost export gained list_price_usd, api_key_id and
  api_key_status in 2026, in the middle of the old order;
- '--' stands for no value (the web-search row has no model, token type or context window);
- the context window is written "≤ 200k" (U+2264);
- the cost export names models by display name ("Claude Haiku 4.5"): resolved to the model id
  by pricing/model_display_names.csv; cost_usd is in dollars, not cents;
- the same key appears twice on a day (two input_cache_write_5m rows of Sonnet 4.5 on
  2026-02-12): both are spend, summed, not deduplicated;
- the tokens export is daily in the monthly file and hourly in the daily file; a day exported
  both ways is counted once (the whole day wins); its token columns exclude the cache;
- an older tokens file lacks the cache-write, context_window, inference_geo and speed columns;
- a Console-looking header that lacks what a known export needs is refused, naming the columns.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from conftest import assert_balanced, fixture_path, ingest, quarantine_rows, query

from pipelines import model_names, warehouse
from pipelines.detect import UndetectedFormat, detect

COST = fixture_path("anthropic_console/claude_api_cost_2026_02_08_to_2026_02_15.csv")
TOKENS_MONTH = fixture_path("anthropic_console/claude_api_tokens_2026_03.csv")
TOKENS_DAY = fixture_path("anthropic_console/claude_api_tokens_2026_03_31.csv")


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_real_cost_export(home):
    assert detect(COST).source == "anthropic_console_cost"
    [result] = ingest(home, COST, None)
    assert (result.source, result.records_read, result.records_loaded) == (
        "anthropic_console_cost", 24, 24)
    assert_balanced(result)
    warehouse.build(home)
    rows = query(home, "select * from usage_buckets order by usage_date, model, token_type, "
                 "billed_cost_usd")
    assert sum(r["billed_cost_usd"] for r in rows) == Decimal("19.97")
    assert {(r["model_raw"], r["model"]) for r in rows} == {
        ("Claude Haiku 4.5", "claude-haiku-4-5"), ("Claude Sonnet 4.5", "claude-sonnet-4-5"),
        (None, None)}
    assert {(r["kind"], r["provider"], r["bucket_width"], r["workspace_id"], r["api_key_id"])
            for r in rows} == {("cost", "anthropic", "1d", "Default", "chat-key")}
    repeated = [r for r in rows if str(r["usage_date"]) == "2026-02-12"
                and r["model"] == "claude-sonnet-4-5" and r["token_type"] == "cache_write_5m"]
    assert sorted(r["billed_cost_usd"] for r in repeated) == [Decimal("0.75"), Decimal("1.16")]
    search = [r for r in rows if r["model_raw"] is None]
    assert [(r["cost_type"], r["token_type"], r["context_window"], r["billed_cost_usd"])
            for r in search] == [("web_search", None, None, Decimal("0.07"))]
    assert {r["context_window"] for r in rows if r["model_raw"]} == {"0-200k"}
    assert {r["token_type"] for r in rows if r["model_raw"]} == {
        "input", "cache_read", "cache_write_5m", "output"}
    # re-ingesting the same export changes nothing
    [again] = ingest(home, COST, None)
    assert again.status == "skipped"


def test_newer_cost_column_order_and_older_tokens_file(home, tmp_path):
    newer = write(tmp_path / "claude_api_cost_2026_08_01_to_2026_08_01.csv", [
        "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,"
        "list_price_usd,cost_type,inference_geo,speed,api_key_id,api_key_status",
        "2026-08-01,Claude Opus 4.6,Research,lab-key,message,≤ 200k,output,2.50,2.50,token,"
        "us,,apikey_01Abc,active",
        "2026-08-01,Claude Opus 4.6,Research,lab-key,batch,≤ 200k,input_cache_write_1h,1.00,"
        "2.00,token,us,,apikey_01Abc,active",
    ])
    older = write(tmp_path / "claude_api_tokens_2025_06.csv", [
        "usage_date_utc,model_version,api_key,workspace,usage_type,usage_input_tokens_no_cache,"
        "usage_input_tokens_cache_read,usage_output_tokens,web_search_count",
        "2025-06-03,claude-sonnet-4-20250514,ci-key,Default,standard,1000000,200000,10000,4",
    ])
    results = ingest(home, [newer, older], None)
    assert [(r.source, r.records_loaded) for r in results] == [
        ("anthropic_console_cost", 2), ("anthropic_console_tokens", 1)]
    warehouse.build(home)
    cost = query(home, "select * from usage_buckets where kind = 'cost' order by token_type")
    assert [(r["model"], r["api_key_id"], r["service_tier"], r["token_type"],
             r["billed_cost_usd"]) for r in cost] == [
        ("claude-opus-4-6", "apikey_01Abc", "batch", "cache_write_1h", Decimal("1.00")),
        ("claude-opus-4-6", "apikey_01Abc", "standard", "output", Decimal("2.50"))]
    [usage] = query(home, "select * from usage_buckets where kind = 'usage'")
    assert (usage["input_tokens"], usage["cache_read_input_tokens"],
            usage["cache_creation_input_tokens"], usage["output_tokens"],
            usage["web_search_calls"], usage["context_window"]) == (1_200_000, 200_000, 0,
                                                                    10_000, 4, None)
    # Sonnet 4 list: 1.0M x $3 + 0.2M x $0.30 + 10k x $15 + 4 searches x $0.01
    assert usage["cost_usd"] == Decimal("3.25")


def test_tokens_export_daily_and_hourly_counted_once(home):
    assert detect(TOKENS_DAY).source == detect(TOKENS_MONTH).source == "anthropic_console_tokens"
    ingest(home, [TOKENS_DAY], None)
    warehouse.build(home)
    hourly = query(home, "select bucket_width, input_tokens, output_tokens from usage_buckets "
                   "order by bucket_start")
    assert hourly == [{"bucket_width": "1h", "input_tokens": 1_124_832, "output_tokens": 254_558},
                      {"bucket_width": "1h", "input_tokens": 506_280, "output_tokens": 117_816}]
    ingest(home, [TOKENS_MONTH], None)
    warehouse.build(home)
    [day] = query(home, "select * from usage_buckets")
    assert (day["bucket_width"], day["model"], day["api_key_id"], day["workspace_id"],
            day["service_tier"], day["input_tokens"], day["output_tokens"]) == (
        "1d", "claude-haiku-4-5", "super", "Default", "standard", 1_809_463, 414_908)
    # Haiku 4.5: $1 in, $5 out per million
    assert day["cost_usd"] == Decimal("3.884003")
    [coverage] = query(home, "select bill_usd from cost_coverage")
    assert coverage["bill_usd"] == Decimal("3.884003")


def test_unknown_header_is_refused_naming_what_it_lacks(home, tmp_path):
    odd = write(tmp_path / "claude_api_cost_odd.csv", [
        "usage_date_utc,model,workspace,api_key,usage_type,token_type,cost",
        "2026-02-12,Claude Haiku 4.5,Default,chat-key,message,output,0.03",
    ])
    with pytest.raises(UndetectedFormat, match="header lacks: cost_usd, cost_type"):
        detect(odd)
    [result] = ingest(home, odd, None)
    assert result.status == "rejected" and "cost_usd, cost_type" in result.note
    # forced onto the source, each row is quarantined with the same reason
    [forced] = ingest(home, odd, "anthropic_console_cost")
    assert (forced.records_loaded, forced.records_quarantined) == (0, 1)
    warehouse.build(home)
    [row] = quarantine_rows(home, odd)
    assert row["reason_code"] == "missing_field"
    assert "the Console cost export header lacks: cost_usd, cost_type" in row["reason"]


def test_bad_values_are_quarantined(home, tmp_path):
    bad = write(tmp_path / "claude_api_tokens_bad.csv", [
        "usage_date_utc,model_version,api_key,workspace,usage_input_tokens_no_cache,"
        "usage_output_tokens",
        "2026-03-31,claude-haiku-4-5-20251001,k,Default,12.5,3",
        "yesterday,claude-haiku-4-5-20251001,k,Default,1,3",
        "2026-03-30,claude-haiku-4-5-20251001,k,Default,--,3",
    ])
    [result] = ingest(home, bad, None)
    # '--' is no value, not a bad one: that row loads without input tokens
    assert (result.records_loaded, result.records_quarantined) == (1, 2)
    warehouse.build(home)
    rows = quarantine_rows(home, bad)
    assert [(r["source_line"], r["reason_code"]) for r in rows] == [
        (2, "invalid_tokens"), (3, "bad_timestamp")]
    assert "usage_input_tokens_no_cache is 12.5" in rows[0]["reason"]


def test_display_name_file_is_validated(tmp_path):
    good = model_names.read_display_names(Path(model_names.__file__).parents[1] / "pricing"
                                          / "model_display_names.csv")
    assert {"alias": "claude haiku 3.5", "provider": "anthropic",
            "model": "claude-3-5-haiku"} in good
    broken = write(tmp_path / "names.csv", ["display_name,provider,model",
                                            "Claude Haiku 9,anthropic,"])
    with pytest.raises(model_names.DisplayNameError, match="names.csv:2: model is empty"):
        model_names.read_display_names(broken)
