"""Deliver budget alerts and spend anomalies once each, by id: to a JSONL outbox under
``$LLMCOST_HOME/alerts/`` always, and to a webhook (Slack-compatible ``{"text": ...}`` plus the
structured fields) when one is configured.

The outbox is the record of what was delivered: an alert whose id is in it is never sent again,
across restarts and rebuilds (ids are hashes of the alert's grain, stable across rebuilds). The
webhook is posted *before* the outbox line is written, so a failed post is retried on the next
evaluation; a crash between the two can repeat one post, which carries ``alert_id`` for the
receiver to drop.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.paths import Home

ALERT_QUERY = """
    select alert_id, 'budget_' || basis as kind, budget_id, scope_value,
        strftime(period_start, '%Y-%m-%dT%H:%M:%SZ') as period_start, threshold,
        cast(amount_usd as double) as amount_usd,
        cast(spend_at_crossing_usd as double) as spend_usd,
        cast(forecast_at_crossing_usd as double) as forecast_usd,
        strftime(crossed_at, '%Y-%m-%dT%H:%M:%SZ') as at, request_id
    from budget_alerts order by crossed_at, basis, threshold, alert_id
"""
ANOMALY_QUERY = """
    select anomaly_id as alert_id, kind, dimension, dimension_value,
        strftime(window_start, '%Y-%m-%dT%H:%M:%SZ') as window_start,
        cast(actual_usd as double) as actual_usd, cast(expected_usd as double) as expected_usd,
        cast(impact_usd as double) as impact_usd, score,
        strftime(detected_at, '%Y-%m-%dT%H:%M:%SZ') as at,
        first_request_id as request_id,
        cast(root_causes as json) as root_causes
    from spend_anomalies order by detected_at, anomaly_id
"""


@dataclass
class Delivery:
    sent: int
    already: int
    webhook_posts: int


def outbox_path(home: Home) -> Path:
    return home.root / "alerts" / "outbox.jsonl"


def delivered_ids(home: Home) -> set[str]:
    path = outbox_path(home)
    if not path.exists():
        return set()
    ids = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            ids.add(json.loads(line)["alert_id"])
    return ids


def _rows(con: duckdb.DuckDBPyConnection, query: str, table: str) -> list[dict]:
    if not con.execute("select count(*) from information_schema.tables where table_name = ?",
                       [table]).fetchall()[0][0]:
        return []
    cursor = con.execute(query)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def current_alerts(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every alert the marts hold now: budget threshold crossings, then anomalies."""
    anomalies = _rows(con, ANOMALY_QUERY, "spend_anomalies")
    for row in anomalies:
        row["root_causes"] = json.loads(row["root_causes"]) if row["root_causes"] else []
    return _rows(con, ALERT_QUERY, "budget_alerts") + anomalies


def text(alert: dict) -> str:
    """One line a person reads in Slack."""
    if alert["kind"].startswith("budget_"):
        basis = "forecast" if alert["kind"] == "budget_forecast" else "spend"
        value = alert["forecast_usd"] if basis == "forecast" else alert["spend_usd"]
        return (f"Budget {alert['budget_id']} ({alert['scope_value']}): {basis} "
                f"${value:,.2f} reached {alert['threshold']:.0%} of ${alert['amount_usd']:,.2f} "
                f"for the period from {alert['period_start']} at {alert['at']}")
    causes = ", ".join(f"{c['dimension']}={c['value']} ${c['cost_usd']:,.2f}"
                       for c in alert["root_causes"][:3])
    return (f"Spend anomaly {alert['kind']} on {alert['dimension']}={alert['dimension_value']}"
            f": ${alert['actual_usd']:,.2f} against ${alert['expected_usd']:,.2f} expected "
            f"(impact ${alert['impact_usd']:,.2f}) since {alert['window_start']}, detected "
            f"{alert['at']}" + (f"; top contributors: {causes}" if causes else ""))


def _post(url: str, alert: dict) -> None:
    body = json.dumps({"text": text(alert), **alert}, default=str).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (configured URL)
        response.read()


def deliver(home: Home, alerts: list[dict], *, webhook_url: str | None = None) -> Delivery:
    """Send the alerts not delivered yet; returns the counts."""
    done = delivered_ids(home)
    path = outbox_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    sent = posts = 0
    for alert in alerts:
        if alert["alert_id"] in done:
            continue
        if webhook_url:
            _post(webhook_url, alert)
            posts += 1
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"text": text(alert), **alert}, default=str) + "\n")
            out.flush()
            os.fsync(out.fileno())
        done.add(alert["alert_id"])
        sent += 1
    return Delivery(sent=sent, already=len(alerts) - sent, webhook_posts=posts)
