"""Spend anomalies with hand-computed answers: the agent that asked "should I retry?" 847
times overnight ($63.0168), a leaked key spending $1,714.88 an hour against its usual $0.25,
and a one-day spike scored against a weekly-seasonal median / MAD baseline (robust z 26.306).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from pipelines.budgets.anomalies import detect_anomalies
from pipelines.budgets.config import AnomalyConfig
from tests.budget_rows import at, connect_with


def _anomalies(rows, cfg: AnomalyConfig | None = None):
    con = connect_with(rows)
    table = detect_anomalies(con, cfg or AnomalyConfig())
    return con, table


def _loop_rows():
    start = at("2025-06-03T00:00:00")
    return [{"occurred_at": start + timedelta(seconds=34 * i), "cost_usd": "0.0744",
             "api_key_hash": "agent-key", "session_id": "night-run", "prompt_hash": 42}
            for i in range(847)]


def test_retry_loop_847_calls():
    con, table = _anomalies(_loop_rows())
    got = con.execute(f"""select kind, dimension, dimension_value, actual_usd,
        strftime(detected_at, '%H:%M:%S'), spend_at_detection_usd, score, first_request_id
        from {table}""").fetchall()
    # At most 18 calls fit in 10 minutes; the 15th (00:07:56) makes it a loop after $1.116.
    assert got == [("retry_loop", "session_id", "night-run", Decimal("63.0168"), "00:07:56",
                    Decimal("1.116"), 18.0, "r000001")]
    con, table = _anomalies(_loop_rows(), replace(AnomalyConfig(), retry_min_calls=20))
    assert con.execute(f"select count(*) from {table}").fetchall() == [(0,)]


def test_leaked_key_flagged_in_its_first_hour():
    start = at("2025-05-01T00:00:00")
    rows = [{"occurred_at": start + timedelta(hours=h), "cost_usd": "0.25",
             "api_key_hash": "startup-key"} for h in range(28 * 24)]
    leak = start + timedelta(days=28, hours=3)
    rows += [{"occurred_at": leak + timedelta(seconds=36 * i), "cost_usd": "17.1488",
              "api_key_hash": "startup-key", "model": "gpt-4.1"} for i in range(100)]
    con, table = _anomalies(rows)
    got = con.execute(f"""select kind, actual_usd, expected_usd,
        strftime(detected_at, '%m-%d %H:%M'), spend_at_detection_usd
        from {table} where kind = 'key_spike'""").fetchall()
    assert got == [("key_spike", Decimal("1714.88"), Decimal("0.25"), "05-29 04:00",
                    Decimal("1714.88"))]
    causes = con.execute(f"select root_causes from {table} where kind = 'key_spike'"
                         ).fetchall()[0][0]
    assert {"dimension": "model", "value": "gpt-4.1", "cost_usd": Decimal("1714.88")} in causes
    kinds = sorted(row[0] for row in con.execute(f"select kind from {table}").fetchall())
    # team, feature and provider spike; the model series gpt-4.1 is new (warm-up), so it
    # raises new_model instead.
    assert kinds == ["key_spike", "new_model", "spend_spike", "spend_spike", "spend_spike"]


def test_daily_spike_robust_z_against_same_weekday_median():
    pattern = [10, 12, 11, 13, 12, 11, 10]
    start = at("2025-05-05T12:00:00")
    rows = [{"occurred_at": start + timedelta(days=d), "cost_usd": pattern[d % 7]}
            for d in range(30)]
    rows.append({"occurred_at": start + timedelta(days=30), "cost_usd": 50})
    con, table = _anomalies(rows)
    got = con.execute(f"""select dimension, dimension_value, actual_usd, expected_usd,
        impact_usd, impact_pct, score, strftime(window_start, '%Y-%m-%d'),
        strftime(detected_at, '%Y-%m-%d %H:%M') from {table} order by dimension""").fetchall()
    # Median of the prior four same weekdays is 11; the MAD of the prior 28 days is 1:
    # z = 0.6745 x 39 / 1 = 26.31.
    assert got == [(dimension, value, Decimal(50), Decimal(11), Decimal(39), 354.55, 26.31,
                    "2025-06-04", "2025-06-05 00:00")
                   for dimension, value in [("feature", "search/qa"), ("model", "gpt-4o"),
                                            ("provider", "openai"), ("team", "search")]]
