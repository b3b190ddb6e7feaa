"""Backfill: months of provider exports and request logs in one landing tree, counted once.

The trap: a provider's usage/cost export and the request logs describe the same spend. Adding
them double counts; dropping the export loses what the logs never saw. daily_costs keeps the
logs and adds only the export's remainder (cost_basis), and a day no log covers is the export
alone. Exports know only workspaces and projects: attribution rules map them to teams.
Everything here is ingested without --source (detected from content), partly gzipped, and a
repeated backfill is a no-op.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from pipelines.ingest import ingest_paths
from pipelines.paths import Home
from pipelines.warehouse import build, open_read_only

FIRST_DAY = date(2026, 1, 1)
DAYS = 90  # 2026-01-01 .. 2026-03-31
LOGS_FROM = date(2026, 3, 1)


def _days():
    return [FIRST_DAY + timedelta(days=offset) for offset in range(DAYS)]


def _iso(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def anthropic_usage_page(days: list[date]) -> dict:
    # claude-sonnet-4-5: 1,000,000 uncached input x $3 + 100,000 output x $15 = $4.50 a day.
    return {
        "data": [
            {
                "starting_at": _iso(day),
                "ending_at": _iso(day + timedelta(days=1)),
                "results": [{
                    "uncached_input_tokens": 1_000_000,
                    "cache_creation": {"ephemeral_1h_input_tokens": 0,
                                       "ephemeral_5m_input_tokens": 0},
                    "cache_read_input_tokens": 0,
                    "output_tokens": 100_000,
                    "server_tool_use": {"web_search_requests": 0},
                    "api_key_id": None,
                    "workspace_id": "wrkspc_search",
                    "model": "claude-sonnet-4-5-20250929",
                    "service_tier": "standard",
                    "context_window": "0-200k",
                }],
            }
            for day in days
        ],
        "has_more": False,
        "next_page": None,
    }


def openai_costs_page(days: list[date]) -> dict:
    def epoch(day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())

    return {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": epoch(day),
                "end_time": epoch(day + timedelta(days=1)),
                "results": [{
                    "object": "organization.costs.result",
                    "amount": {"value": 10.0, "currency": "usd"},
                    "line_item": "gpt-4o-2024-08-06, input",
                    "project_id": "proj_growth",
                    "quantity": 4_000_000,
                    "quantity_unit": "tokens",
                }],
            }
            for day in days
        ],
        "has_more": False,
        "next_page": None,
    }


def anthropic_log(day: date) -> dict:
    # 200,000 uncached input x $3 + 20,000 output x $15 = $0.90.
    started = f"{day.isoformat()}T12:00:00Z"
    return {
        "request_id": f"req-{day.isoformat()}",
        "started_at": started,
        "ended_at": started,
        "metadata": {"team": "search", "feature": "answers", "environment": "prod"},
        "response": {
            "id": f"msg_{day:%Y%m%d}", "type": "message", "model": "claude-sonnet-4-5-20250929",
            "usage": {"input_tokens": 200_000, "output_tokens": 20_000,
                      "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
        },
    }


def landing_tree(root: Path) -> Path:
    landing = root / "landing"
    exports = landing / "exports"
    exports.mkdir(parents=True)
    days = _days()
    for month in (1, 2, 3):
        month_days = [day for day in days if day.month == month]
        # Paginated download: one page per line, a page per half month.
        pages = [anthropic_usage_page(month_days[:15]), anthropic_usage_page(month_days[15:])]
        (exports / f"anthropic_usage_2026-{month:02d}.jsonl").write_text(
            "".join(json.dumps(page) + "\n" for page in pages))
        with gzip.open(exports / f"openai_costs_2026-{month:02d}.json.gz", "wt") as handle:
            json.dump(openai_costs_page(month_days), handle, indent=2)
    logs = landing / "sdk"
    logs.mkdir()
    (logs / "captures_2026-03.jsonl").write_text(
        "".join(json.dumps(anthropic_log(day)) + "\n" for day in days if day >= LOGS_FROM))
    (root / "attribution_rules.csv").write_text(
        "priority,match_field,pattern,team,feature,environment,note\n"
        "10,workspace_id,wrkspc_search,search,,prod,search workspace\n"
        "20,project_id,proj_growth*,growth,campaigns,prod,growth projects\n"
    )
    return landing


def daily(home: Home) -> dict:
    con = open_read_only(home)
    rows = con.execute(
        "SELECT usage_date, provider, cost_basis, team, sum(cost_usd) "
        "FROM daily_costs GROUP BY ALL ORDER BY ALL").fetchall()
    con.close()
    return {(d, provider, basis, team): cost for d, provider, basis, team, cost in rows}


def test_months_of_exports_and_logs_are_counted_once(tmp_path):
    home = Home(tmp_path)
    landing = landing_tree(tmp_path)
    results = ingest_paths([landing], home)
    assert sorted({r.source for r in results}) == ["anthropic", "anthropic_usage", "openai_costs"]
    assert all(r.status == "loaded" and r.records_quarantined == 0 for r in results)
    assert sum(r.records_loaded for r in results if r.source == "anthropic_usage") == DAYS
    assert sum(r.records_loaded for r in results if r.source == "openai_costs") == DAYS
    build(home)

    costs = daily(home)
    january = date(2026, 1, 10)
    march = date(2026, 3, 10)
    # A day only the export covers: the export is the spend, attributed by the rules.
    assert costs[(january, "anthropic", "export", "search")] == Decimal("4.5")
    assert costs[(january, "openai", "export", "growth")] == Decimal("10")
    # A day the logs cover too: the logs, plus only what the export bills beyond them.
    assert costs[(march, "anthropic", "logs", "search")] == Decimal("0.9")
    assert costs[(march, "anthropic", "export_remainder", "search")] == Decimal("3.6")
    assert not any(basis == "export" and provider == "anthropic" and day >= LOGS_FROM
                   for day, provider, basis, _ in costs)

    con = open_read_only(home)
    total = con.execute("SELECT sum(cost_usd) FROM daily_costs").fetchall()[0][0]
    per_month = dict(con.execute(
        "SELECT month(usage_date), sum(cost_usd) FROM daily_costs GROUP BY 1").fetchall())
    coverage = con.execute(
        "SELECT bill_basis, explained_share, remainder_usd FROM cost_coverage "
        "WHERE usage_date = ? AND provider = 'anthropic'", [march]).fetchall()
    con.close()
    # 90 days x ($4.50 Anthropic bill + $10 OpenAI bill): nothing counted twice.
    assert total == Decimal("1305")
    assert per_month == {1: Decimal("449.5"), 2: Decimal("406"), 3: Decimal("449.5")}
    assert coverage == [("usage export", 0.2, Decimal("3.6"))]


def test_repeating_a_backfill_changes_nothing(tmp_path):
    home = Home(tmp_path)
    landing = landing_tree(tmp_path)
    ingest_paths([landing], home)
    build(home)
    before = daily(home)
    again = ingest_paths([landing], home)
    assert {r.status for r in again} == {"skipped"}
    result = build(home)
    assert result.reason == "nothing new"
    assert daily(home) == before


def test_spend_no_rule_covers_is_unattributed(tmp_path):
    home = Home(tmp_path)
    landing = landing_tree(tmp_path)
    (tmp_path / "attribution_rules.csv").write_text(
        "priority,match_field,pattern,team,feature,environment,note\n")
    ingest_paths([landing], home)
    build(home)
    costs = daily(home)
    assert costs[(date(2026, 1, 10), "openai", "export", "unattributed")] == Decimal("10")
