"""Budgets: threshold crossings, periods and the what-if enforcement replay, with hand-computed
answers. Gateways' users report budgets that never reset, windows that start with a 429 and
alerts that fire at the wrong point; these pin the period edges (month, week start, a
non-UTC zone across DST) and the gateway rule that the request which crosses still completes.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pipelines.budgets import config as budgets_config
from pipelines.budgets.build import build_marts
from pipelines.paths import Home
from tests.budget_rows import at, connect_with


def _config(tmp_path: Path, text: str) -> budgets_config.BudgetsConfig:
    (tmp_path / "budgets.toml").write_text(text)
    return budgets_config.load(tmp_path)


def _build(tmp_path, rows, text, as_of=None):
    con = connect_with(rows)
    build_marts(con, Home(tmp_path), _config(tmp_path, text), as_of=as_of)
    return con


HUNDRED = """
[[budget]]
id = "monthly"
period = "month"
amount_usd = 100
action = "block"
"""
SIX = [30, 15, 10, 30, 20, 5]


def test_thresholds_cross_at_the_hand_computed_requests(tmp_path):
    rows = [{"occurred_at": f"2025-06-03T{9 + i:02d}:00:00", "cost_usd": cost}
            for i, cost in enumerate(SIX)]
    con = _build(tmp_path, rows, HUNDRED)
    alerts = con.execute("""
        select threshold, strftime(crossed_at, '%H:%M'), request_id, spend_at_crossing_usd
        from budget_alerts where basis = 'actual' order by threshold""").fetchall()
    assert alerts == [(0.5, "11:00", "r000003", Decimal("55")),
                      (0.8, "12:00", "r000004", Decimal("85")),
                      (0.95, "13:00", "r000005", Decimal("105")),
                      (1.0, "13:00", "r000005", Decimal("105"))]
    replay = con.execute("select request_id, decision, budget_id, original_cost_usd, "
                         "replay_cost_usd, saved_usd from enforcement_replay").fetchall()
    assert replay == [("r000006", "blocked", "monthly", Decimal(5), Decimal(0), Decimal(5))]
    summary = con.execute("select original_spend_usd, replay_spend_usd, saved_usd, "
                          "blocked_requests, strftime(exhausted_at, '%H:%M') "
                          "from enforcement_replay_summary").fetchall()
    assert summary == [(Decimal(110), Decimal(105), Decimal(5), 1, "13:00")]
    status = con.execute("select spend_usd, pct_used, status from budget_status").fetchall()
    assert status == [(Decimal(110), 1.1, "exceeded")]
    ids = {row[0] for row in con.execute("select alert_id from budget_alerts").fetchall()}
    con2 = _build(tmp_path, rows, HUNDRED)
    assert {row[0] for row in con2.execute("select alert_id from budget_alerts").fetchall()} \
        == ids


def test_forecast_run_rate(tmp_path):
    rows = [{"occurred_at": f"2025-06-{day:02d}T12:00:00", "cost_usd": 4} for day in range(1, 11)]
    con = _build(tmp_path, rows, HUNDRED.replace('action = "block"', ""),
                 as_of=at("2025-06-11T00:00:00"))
    status = con.execute("select spend_usd, pct_used, forecast_usd, forecast_method, status "
                         "from budget_status").fetchall()
    assert status == [(Decimal(40), 0.4, Decimal(120), "run_rate", "forecast_over")]
    alerts = con.execute("select basis, threshold, strftime(crossed_at, '%m-%d %H:%M'), "
                         "spend_at_crossing_usd from budget_alerts order by basis").fetchall()
    # No actual threshold reached; the forecast (28 / (6.5 / 30) = $129) passes 100% on the
    # first request after 20% of June has elapsed.
    assert alerts == [("forecast", 1.0, "06-07 12:00", Decimal(28))]


def test_period_edges_month_week_and_time_zone(tmp_path):
    text = """
timezone = "America/New_York"
week_start = "monday"
[[budget]]
id = "m"
period = "month"
amount_usd = 1000
[[budget]]
id = "w"
period = "week"
amount_usd = 1000
[[budget]]
id = "d"
period = "day"
amount_usd = 1000
"""
    rows = [{"occurred_at": "2025-06-30T23:59:59", "cost_usd": 1},
            {"occurred_at": "2025-07-01T02:00:00", "cost_usd": 2},   # 22:00 June 30 in New York
            {"occurred_at": "2025-07-01T04:00:00", "cost_usd": 4},   # 00:00 July 1 in New York
            {"occurred_at": "2025-06-01T12:00:00", "cost_usd": 8},   # Sunday
            {"occurred_at": "2025-11-02T12:00:00", "cost_usd": 16}]  # the day DST ends
    con = _build(tmp_path, rows, text)
    got = con.execute("""
        select budget_id, strftime(period_start, '%Y-%m-%d %H:%M'),
               strftime(period_end, '%Y-%m-%d %H:%M'), spend_usd
        from budget_status order by budget_id, period_start""").fetchall()
    assert got == [
        ("d", "2025-06-01 04:00", "2025-06-02 04:00", Decimal(8)),
        ("d", "2025-06-30 04:00", "2025-07-01 04:00", Decimal(3)),
        ("d", "2025-07-01 04:00", "2025-07-02 04:00", Decimal(4)),
        ("d", "2025-11-02 04:00", "2025-11-03 05:00", Decimal(16)),   # a 25-hour day
        ("m", "2025-06-01 04:00", "2025-07-01 04:00", Decimal(11)),
        ("m", "2025-07-01 04:00", "2025-08-01 04:00", Decimal(4)),
        ("m", "2025-11-01 04:00", "2025-12-01 05:00", Decimal(16)),
        ("w", "2025-05-26 04:00", "2025-06-02 04:00", Decimal(8)),    # Sunday 06-01: week of 05-26
        ("w", "2025-06-30 04:00", "2025-07-07 04:00", Decimal(7)),
        ("w", "2025-10-27 04:00", "2025-11-03 05:00", Decimal(16)),
    ]
    sunday = _build(tmp_path, rows[3:4], text.replace('"monday"', '"sunday"'))
    assert sunday.execute("select strftime(period_start, '%Y-%m-%d') from budget_status "
                          "where budget_id = 'w'").fetchall() == [("2025-06-01",)]


def test_scopes_star_per_value_and_unpriced(tmp_path):
    text = """
[[budget]]
id = "key-daily"
scope = { api_key_hash = "*" }
period = "day"
amount_usd = 10
action = "block"
[[budget]]
id = "search-prod"
scope = { team = "search", environment = "production" }
period = "day"
amount_usd = 100
"""
    rows = [{"occurred_at": "2025-06-03T09:00:00", "cost_usd": 6, "api_key_hash": "a"},
            {"occurred_at": "2025-06-03T09:01:00", "cost_usd": 6, "api_key_hash": "b"},
            {"occurred_at": "2025-06-03T09:02:00", "cost_usd": 6, "api_key_hash": "a"},
            {"occurred_at": "2025-06-03T09:03:00", "cost_usd": 6, "api_key_hash": "a"},
            {"occurred_at": "2025-06-03T09:04:00", "cost_usd": None, "api_key_hash": "b"},
            {"occurred_at": "2025-06-03T09:05:00", "cost_usd": 6, "api_key_hash": None,
             "environment": "dev"}]
    con = _build(tmp_path, rows, text)
    status = con.execute("select budget_id, scope_value, spend_usd, requests, "
                         "unpriced_requests from budget_status order by all").fetchall()
    assert status == [("key-daily", "api_key_hash=a", Decimal(18), 3, 0),
                      ("key-daily", "api_key_hash=b", Decimal(6), 2, 1),
                      ("search-prod", "environment=production,team=search", Decimal(24), 5, 1)]
    assert con.execute("select request_id from enforcement_replay").fetchall() == [("r000004",)]
