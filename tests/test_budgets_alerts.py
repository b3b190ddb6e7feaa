"""Alerts are delivered exactly once by id: a real Dagster materialisation of the budget marts,
real sensor evaluations against a real local HTTP server, across a sensor restart (no cursor),
a rebuild of the marts and a webhook that is down (nothing is marked delivered until the post
succeeds). Gateways' users report alerts that repeat every run or never arrive."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from pipelines import db
from pipelines.budgets import alerts
from pipelines.defs.budgets import alert_delivery_sensor, budget_marts
from pipelines.defs.resources import LlmcostResource
from pipelines.paths import Home
from tests.budget_rows import requests_table

BUDGET = """
[[budget]]
id = "monthly"
period = "month"
amount_usd = 100
action = "block"
"""


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Receiver.received
    server.shutdown()
    server.server_close()


def _home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home").ensure()
    (home.root / "budgets.toml").write_text(BUDGET)
    con = db.connect(home.warehouse)
    con.register("rows", requests_table(
        [{"occurred_at": f"2025-06-03T{9 + i:02d}:00:00", "cost_usd": cost}
         for i, cost in enumerate([30, 15, 10, 30, 20, 5])]))
    con.execute("CREATE TABLE requests AS SELECT * FROM rows")
    con.close()
    return home


def _evaluate(instance, home: Home, url: str, cursor=None):
    resource = LlmcostResource(home=str(home.root), alert_webhook=url)
    return alert_delivery_sensor(dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"llmcost": resource}))


def test_each_alert_is_delivered_once(tmp_path, webhook):
    url, received = webhook
    home = _home(tmp_path)
    resource = LlmcostResource(home=str(home.root), alert_webhook=url)
    with dg.instance_for_test() as instance:
        result = dg.materialize([budget_marts], resources={"llmcost": resource},
                                instance=instance)
        assert result.success
        counts = {m.asset_key.to_user_string(): m.metadata["dagster/row_count"].value
                  for m in result.get_asset_materialization_events()
                  for m in [m.materialization]}
        assert counts == {"budget_status": 1, "budget_alerts": 4, "enforcement_replay": 1,
                          "enforcement_replay_summary": 1, "spend_anomalies": 0}
        first = _evaluate(instance, home, url)
        assert first.cursor == "4"
        assert [post["threshold"] for post in received] == [0.5, 0.8, 0.95, 1.0]
        assert received[0]["text"] == (
            "Budget monthly (all): spend $55.00 reached 50% of $100.00 for the period from "
            "2025-06-01T00:00:00Z at 2025-06-03T11:00:00Z")
        assert received[0]["kind"] == "budget_actual" and received[0]["request_id"] == "r000003"
        again = _evaluate(instance, home, url, cursor=first.cursor)
        assert again.cursor == "4" and len(received) == 4
        assert dg.materialize([budget_marts], resources={"llmcost": resource},
                              instance=instance).success
    with dg.instance_for_test() as restarted:   # a new instance, no cursor: the outbox decides
        assert _evaluate(restarted, home, url).cursor == "0"
    assert len(received) == 4
    lines = alerts.outbox_path(home).read_text().splitlines()
    assert [json.loads(line)["alert_id"] for line in lines] == [p["alert_id"] for p in received]


def test_a_failed_post_is_retried_not_lost(tmp_path, webhook):
    url, received = webhook
    home = _home(tmp_path)
    resource = LlmcostResource(home=str(home.root))
    with dg.instance_for_test() as instance:
        assert dg.materialize([budget_marts], resources={"llmcost": resource},
                              instance=instance).success
        with pytest.raises(Exception, match="Connection refused|URLError|refused"):
            _evaluate(instance, home, "http://127.0.0.1:9/hook")
        assert not alerts.outbox_path(home).exists()
        assert _evaluate(instance, home, url).cursor == "4"
    assert len(received) == 4
