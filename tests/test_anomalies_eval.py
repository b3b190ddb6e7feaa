"""`llmcost anomalies eval` on a small real warehouse: seeded incidents are injected and found,
and detection is timed as a nightly and an hourly pipeline would see it (a nightly run only
sees a day after its partition is built, the next morning)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pipelines import db
from pipelines.budgets import evaluate
from pipelines.paths import Home
from tests.budget_rows import requests_table


def test_pipeline_time_by_cadence():
    at = datetime(2025, 6, 3, 0, 7, 56, tzinfo=UTC)
    assert evaluate.pipeline_time(at, "hourly") == datetime(2025, 6, 3, 1, tzinfo=UTC)
    assert evaluate.pipeline_time(at, "nightly") == datetime(2025, 6, 4, 2, 45, tzinfo=UTC)
    day_end = datetime(2025, 6, 4, tzinfo=UTC)
    assert evaluate.pipeline_time(day_end, "hourly") == day_end
    assert evaluate.pipeline_time(day_end, "nightly") == datetime(2025, 6, 4, 2, 45, tzinfo=UTC)


def test_eval_catches_injected_incidents(tmp_path):
    rng = random.Random(5)
    start = datetime(2025, 5, 1, tzinfo=UTC)
    rows = []
    for day in range(30):
        for team, feature, key in (("search", "qa", "k1"), ("support", "bot", "k2")):
            for _ in range(16):
                rows.append({"occurred_at": start + timedelta(days=day,
                                                              seconds=rng.randrange(86_400)),
                             "team": team, "feature": feature, "api_key_hash": key,
                             "cost_usd": round(rng.uniform(1.2, 1.8), 4)})
    home = Home(tmp_path).ensure()
    con = db.connect(home.warehouse)
    con.register("rows", requests_table(rows))
    con.execute("CREATE TABLE requests AS SELECT * FROM rows")
    con.close()
    result = evaluate.evaluate(home, seed=1, trials=1)
    caught = {i.kind: i.detected_at is not None for i in result.incidents}
    assert caught == {kind: True for kind in evaluate.KINDS}
    loop = next(i for i in result.incidents if i.kind == "retry_loop")
    assert loop.detected_at - loop.start == timedelta(seconds=14 * 30)  # the 15th call
    text = evaluate.render(result)
    assert "retry_loop" in text and "1/1" in text
