"""The reconciliation mart: logs against the provider's bill, the gap explained exactly.

Real-world causes planted one per cell, in hand-built Console exports (the cost CSV gives the
dollars, the tokens CSV the quantities) and Anthropic SDK captures (the logs):
- volume: the bill counts 200k more input tokens than the logs saw;
- cache write TTL: the logs took the cache writes for 5-minute ones, the bill says 1 hour;
- price: the same output tokens billed below list (a discount);
- tier: the logs do not know a request went through the Batch API (half price);
- server tools: web search billed on a row without a model, never in a token log;
- no logs: a workspace whose traffic never reaches the logger;
- unexplained: a charge of a kind nothing explains stays in the residual and fails the status;
- requests the logs never saw: the OpenAI usage export counts more requests than were logged.
Each split is asserted to the cent, and the parts add up to the difference in every cell.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import envelope, fixture_path, ingest, query, write_jsonl

from pipelines import reconcile, warehouse
from pipelines.cli import main
from pipelines.paths import Home

DAY = "2026-05-04"
COST_HEADER = ("usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,"
               "cost_usd,cost_type,inference_geo,speed")
TOKENS_HEADER = ("usage_date_utc,model_version,api_key,workspace,usage_type,context_window,"
                 "usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,"
                 "usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,"
                 "usage_output_tokens,web_search_count,inference_geo,speed")
PARTS = ("volume_usd", "price_usd", "no_logs_usd", "tier_usd", "cache_ttl_usd",
         "server_tools_usd", "unseen_requests_usd", "residual_usd")


def cost_rows() -> list[str]:
    return [
        # haiku, Default: volume + TTL + price (output billed $0.45 instead of $0.50)
        f"{DAY},Claude Haiku 4.5,Default,app-key,message,≤ 200k,input_no_cache,1.20,token,"
        "not_available,",
        f"{DAY},Claude Haiku 4.5,Default,app-key,message,≤ 200k,input_cache_write_1h,0.40,"
        "token,not_available,",
        f"{DAY},Claude Haiku 4.5,Default,app-key,message,≤ 200k,output,0.45,token,"
        "not_available,",
        # sonnet, Default: the Batch API at half price
        f"{DAY},Claude Sonnet 4.5,Default,app-key,batch,≤ 200k,input_no_cache,1.50,token,"
        "not_available,",
        # web search: no model on the row
        f"{DAY},--,Default,app-key,--,--,--,0.03,web_search,--,--",
        # a workspace the logger never sees
        f"{DAY},Claude Haiku 4.5,Research,lab-key,message,≤ 200k,input_no_cache,0.80,token,"
        "not_available,",
        # opus, Default: a charge of no known kind
        f"{DAY},Claude Opus 4.5,Default,app-key,message,≤ 200k,input_no_cache,0.50,token,"
        "not_available,",
        f"{DAY},Claude Opus 4.5,Default,app-key,--,--,--,0.25,support_fee,--,--",
    ]


def token_rows() -> list[str]:
    return [
        f"{DAY},claude-haiku-4-5-20251001,app-key,Default,standard,≤ 200k,1200000,0,200000,0,"
        "100000,3,not_available,",
        f"{DAY},claude-sonnet-4-5-20250929,app-key,Default,batch,≤ 200k,1000000,0,0,0,0,0,"
        "not_available,",
        f"{DAY},claude-haiku-4-5-20251001,lab-key,Research,standard,≤ 200k,800000,0,0,0,0,0,"
        "not_available,",
        f"{DAY},claude-opus-4-5-20251101,app-key,Default,standard,≤ 200k,100000,0,0,0,0,0,"
        "not_available,",
    ]


def capture(request_id: str, model: str, *, uncached: int, output: int = 0,
            cache_write: int = 0) -> dict:
    body = {"id": f"msg_{request_id}", "type": "message", "role": "assistant", "model": model,
            "content": [], "usage": {"input_tokens": uncached, "output_tokens": output,
                                     "cache_creation_input_tokens": cache_write,
                                     "cache_read_input_tokens": 0}}
    return envelope(body, request_id=request_id, started_at=f"{DAY}T10:00:00Z",
                    ended_at=f"{DAY}T10:00:02Z",
                    metadata={"team": "app", "project": "Default"})


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("planted")
    home = Home(tmp_path / "home")
    logs = write_jsonl(tmp_path / "logs" / "captures.jsonl", [
        capture("r1", "claude-haiku-4-5-20251001", uncached=1_000_000, output=100_000,
                cache_write=200_000),
        capture("r2", "claude-sonnet-4-5-20250929", uncached=1_000_000),
        capture("r3", "claude-opus-4-5-20251101", uncached=100_000),
    ])
    cost = write_csv(tmp_path / "exports" / "claude_api_cost_2026_05_04_to_2026_05_04.csv",
                     COST_HEADER, cost_rows())
    tokens = write_csv(tmp_path / "exports" / "claude_api_tokens_2026_05.csv", TOKENS_HEADER,
                       token_rows())
    assert [r.status for r in ingest(home, logs, "anthropic")] == ["loaded"]
    # the exports are recognised from their headers
    results = ingest(home, [cost, tokens], None)
    assert [(r.source, r.records_loaded) for r in results] == [
        ("anthropic_console_cost", 8), ("anthropic_console_tokens", 4)]
    warehouse.build(home)
    return home


def cells(home) -> dict[str, dict]:
    rows = query(home, "select * from reconciliation order by model, account")
    return {f"{row['model']}/{row['account']}": row for row in rows}


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.000001"))


def test_each_planted_cause_is_split_exactly(planted):
    by_cell = cells(planted)
    assert set(by_cell) == {"claude-haiku-4-5/Default", "claude-haiku-4-5/Research",
                            "claude-sonnet-4-5/Default", "claude-opus-4-5/Default",
                            "unknown/Default"}
    expected = {
        # logs 1.00 input + 0.25 cache writes (5m) + 0.50 output = 1.75; bill 2.05
        "claude-haiku-4-5/Default": dict(logs_cost_usd="1.75", billed_usd="2.05",
                                         volume_usd="0.20", cache_ttl_usd="0.15",
                                         price_usd="-0.05", status="explained",
                                         known_causes=["cache_ttl"]),
        "claude-sonnet-4-5/Default": dict(logs_cost_usd="3.00", billed_usd="1.50",
                                          tier_usd="-1.50", status="explained",
                                          known_causes=["tier"]),
        "claude-haiku-4-5/Research": dict(logs_cost_usd="0", billed_usd="0.80",
                                          no_logs_usd="0.80", status="explained",
                                          known_causes=["no_logs"]),
        "unknown/Default": dict(logs_cost_usd="0", billed_usd="0.03", server_tools_usd="0.03",
                                status="explained", known_causes=["server_tools"]),
        "claude-opus-4-5/Default": dict(logs_cost_usd="0.50", billed_usd="0.75",
                                        residual_usd="0.25", status="unexplained",
                                        known_causes=[]),
    }
    for name, want in expected.items():
        row = by_cell[name]
        for part in PARTS:
            assert money(row[part]) == money(want.get(part, "0")), (name, part, row[part])
        assert money(row["logs_cost_usd"]) == money(want["logs_cost_usd"]), name
        assert money(row["billed_usd"]) == money(want["billed_usd"]), name
        assert row["difference_usd"] == row["billed_usd"] - row["logs_cost_usd"]
        assert row["difference_usd"] == sum(row[part] for part in PARTS), name
        assert row["status"] == want["status"], name
        assert row["known_causes"] == want["known_causes"], name


def test_both_sides_quantities_and_capture_rate(planted):
    haiku = cells(planted)["claude-haiku-4-5/Default"]
    assert (haiku["logs_input_tokens"], haiku["bill_input_tokens"]) == (1_000_000, 1_200_000)
    assert (haiku["logs_cache_write_tokens"], haiku["bill_cache_write_tokens"]) == (200_000,
                                                                                    200_000)
    assert (haiku["logs_cache_write_1h_tokens"], haiku["bill_cache_write_1h_tokens"]) == (0,
                                                                                          200_000)
    assert (haiku["logs_output_tokens"], haiku["bill_output_tokens"]) == (100_000, 100_000)
    assert haiku["bill_web_search_calls"] == 3
    assert haiku["bill_basis"] == "cost export" and haiku["bill_has_tokens"]
    assert haiku["capture_rate"] == pytest.approx(0.8537)
    assert haiku["difference_pct"] == pytest.approx(0.1463)


def test_cli_prints_the_month_day_by_day_and_the_worst_cells(planted, capsys):
    assert main(["--home", str(planted.root), "reconcile", "--month", "2026-05"]) == 0
    out = capsys.readouterr().out
    assert "Reconciliation 2026-05: logs $5.25 vs bill $5.13" in out
    assert "1 cell(s) outside the tolerance (2.0%)" in out
    day_line = next(line for line in out.splitlines() if line.startswith(DAY))
    assert day_line.split()[:5] == [DAY, "anthropic", "5.25", "5.13", "-0.12"]
    worst = out.split("Worst cells")[1].splitlines()[3]
    assert worst.split()[:5] == [DAY, "anthropic", "claude-opus-4-5", "Default", "unexplained"]
    assert main(["--home", str(planted.root), "reconcile", "--month", "2026-13"]) == 1


def test_sample_console_export_alone_is_all_unlogged(home):
    ingest(home, fixture_path("anthropic_console/claude_api_cost_2026_02_08_to_2026_02_15.csv"),
           None)
    warehouse.build(home)
    rows = query(home, "select sum(billed_usd) as billed, sum(no_logs_usd) as no_logs, "
                 "count(*) filter (where status = 'unexplained') as bad from reconciliation")
    assert money(rows[0]["billed"]) == money("19.97")
    assert rows[0]["no_logs"] == rows[0]["billed"] and rows[0]["bad"] == 0


def test_tolerance_is_configurable(planted, monkeypatch):
    """Runs last: it rebuilds the shared warehouse with another tolerance."""
    monkeypatch.setenv(reconcile.TOLERANCE_ENV, "0.35")
    warehouse.build(planted)
    opus = cells(planted)["claude-opus-4-5/Default"]
    assert (opus["status"], opus["tolerance_pct"]) == ("ok", 0.35)  # 0.25 of 0.75
    monkeypatch.delenv(reconcile.TOLERANCE_ENV)
    settings_dir = planted.root.parent / "settings"
    settings_dir.mkdir()
    (settings_dir / "reconcile.toml").write_text("tolerance_pct = 0.05\ntolerance_usd = 1\n")
    assert reconcile.load_settings(settings_dir, {}) == reconcile.ReconcileSettings(0.05, 1.0)
    (settings_dir / "reconcile.toml").write_text("tolerance_pct = 2\n")
    with pytest.raises(reconcile.ReconcileConfigError, match="tolerance_pct 2.0 is a fraction"):
        reconcile.load_settings(settings_dir, {})
    (settings_dir / "reconcile.toml").write_text("tolerance = 0.1\n")
    with pytest.raises(reconcile.ReconcileConfigError, match="unknown key"):
        reconcile.load_settings(settings_dir, {})
    with pytest.raises(reconcile.ReconcileConfigError, match="LLMCOST_RECONCILE_TOLERANCE"):
        reconcile.load_settings(planted.root, {reconcile.TOLERANCE_ENV: "two percent"})


def test_requests_the_logs_never_saw(home, tmp_path):
    """The OpenAI usage export counts requests (num_model_requests): two of ten never reached
    the logger, and their cost is the whole gap."""
    start = int(datetime(2026, 5, 4, tzinfo=UTC).timestamp())
    page = {"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": start, "end_time": start + 86400, "results": [
            {"object": "organization.usage.completions.result", "input_tokens": 10_000,
             "output_tokens": 1_000, "num_model_requests": 10, "project_id": "proj_a",
             "model": "gpt-4o-2024-08-06", "api_key_id": None, "user_id": None,
             "batch": False, "service_tier": None}]}]}
    usage = tmp_path / "usage.json"
    usage.write_text(json.dumps(page))
    logs = write_jsonl(tmp_path / "openai.jsonl", [
        envelope({"id": f"chatcmpl-{n}", "object": "chat.completion", "created": start + 60,
                  "model": "gpt-4o-2024-08-06", "choices": [],
                  "usage": {"prompt_tokens": 1_000, "completion_tokens": 100,
                            "total_tokens": 1_100}},
                 request_id=f"o{n}", started_at=f"{DAY}T08:00:0{n}Z",
                 metadata={"project": "proj_a"})
        for n in range(8)])
    ingest(home, logs, "openai")
    ingest(home, usage, None)
    warehouse.build(home)
    [row] = query(home, "select * from reconciliation")
    assert (row["account"], row["log_requests"], row["bill_requests"]) == ("proj_a", 8, 10)
    # logs 8 x (1,000 x $2.50 + 100 x $10) / 1M = $0.028; bill 10,000 in + 1,000 out = $0.035
    assert (money(row["logs_cost_usd"]), money(row["billed_usd"])) == (money("0.028"),
                                                                        money("0.035"))
    assert money(row["unseen_requests_usd"]) == money("0.007")
    assert row["known_causes"] == ["unseen_requests"]
    for part in PARTS:
        if part != "unseen_requests_usd":
            assert row[part] == 0, part
