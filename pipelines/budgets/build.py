"""Build the budget and anomaly marts from the ``requests`` mart and ``budgets.toml``.

Writes, in one transaction, ``budget_status``, ``budget_alerts``, ``enforcement_replay``,
``enforcement_replay_summary`` and ``spend_anomalies`` (grain and columns in README "Budgets
and anomalies"). The settings are validated before anything is read, so a bad file builds
nothing. Cumulative spend, crossings and anomaly scores are SQL (``sql/budgets``); only the
enforcement replay, sequential by nature, runs in Python (``replay.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from pipelines import warehouse
from pipelines.budgets import config as budgets_config
from pipelines.budgets.anomalies import detect_anomalies
from pipelines.budgets.failover import price_failovers
from pipelines.budgets.replay import BLOCK, enforce
from pipelines.paths import SQL_DIR, Home

Progress = Callable[[str], None]
BUDGET_MARTS = ("budget_status", "budget_alerts", "enforcement_replay",
                "enforcement_replay_summary", "spend_anomalies")


@dataclass
class BudgetsResult:
    budgets: int = 0
    replayed_requests: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)


def sql(name: str) -> str:
    return (SQL_DIR / "budgets" / f"{name}.sql").read_text()


def run(home: Home, *, as_of: datetime | None = None,
        progress: Progress | None = None) -> BudgetsResult:
    """Rebuild the budget and anomaly marts (``as_of``: status as of this instant; default the
    latest request)."""
    cfg = budgets_config.load(home.root)
    with warehouse.open_for_write(home) as con:
        if not warehouse.has_mart(con, "requests"):
            raise FileNotFoundError("no requests mart in the warehouse: run `llmcost build` "
                                    "first")
        return build_marts(con, home, cfg, as_of=as_of, progress=progress)


def _params(cfg: budgets_config.BudgetsConfig) -> dict:
    return {"timezone": cfg.timezone,
            "week_offset": budgets_config.WEEKDAYS.index(cfg.week_start)}


def build_marts(con: duckdb.DuckDBPyConnection, home: Home, cfg: budgets_config.BudgetsConfig,
                *, as_of: datetime | None = None, progress: Progress | None = None
                ) -> BudgetsResult:
    """The whole step on an open connection that holds a ``requests`` table."""
    result = BudgetsResult(budgets=len(cfg.budgets))
    timings = result.seconds
    started = time.perf_counter()
    con.register("budget_rows", cfg.budgets_table())
    con.execute(f"CREATE OR REPLACE TEMP TABLE int_budget_members AS "
                f"{sql('int_budget_members')}", _params(cfg))
    if any(b.failover_model for b in cfg.budgets):
        price_failovers(con, home)
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE budget_failover_costs (request_index BIGINT, "
                    "source VARCHAR, request_id VARCHAR, failover_model VARCHAR, "
                    "failover_cost_usd DECIMAL(38, 12), failover_unpriced_reason VARCHAR)")
    timings["members"] = time.perf_counter() - started

    started = time.perf_counter()
    decisions, exhausted = replay_decisions(con)
    result.replayed_requests = decisions.num_rows
    con.register("replay_decisions", decisions)
    con.register("replay_exhausted", exhausted)
    timings["replay"] = time.perf_counter() - started
    if progress:
        progress(f"budgets: {len(cfg.budgets)} budget(s), the replay changes "
                 f"{decisions.num_rows:,} request(s)")

    started = time.perf_counter()
    anomalies = detect_anomalies(con, cfg.anomalies)
    timings["anomalies"] = time.perf_counter() - started

    started = time.perf_counter()
    if as_of is None:
        as_of = con.execute("SELECT coalesce(max(occurred_at), now()) FROM requests"
                            ).fetchall()[0][0]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TABLE budget_status AS {sql('budget_status')}",
                    {"as_of": as_of})
        con.execute(f"CREATE OR REPLACE TABLE budget_alerts AS {sql('budget_alerts')}",
                    {"forecast_min_elapsed": cfg.forecast_min_elapsed})
        for name in ("enforcement_replay", "enforcement_replay_summary"):
            con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql(name)}")
        con.execute("CREATE OR REPLACE TABLE spend_anomalies AS SELECT * FROM " + anomalies)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.unregister("replay_decisions")
    con.unregister("replay_exhausted")
    timings["marts"] = time.perf_counter() - started
    for table in BUDGET_MARTS:
        result.row_counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return result


def replay_decisions(con: duckdb.DuckDBPyConnection) -> tuple[pa.Table, pa.Table]:
    """Run the enforcement replay: one row per request it changes, and per budget instance the
    time its admitted spend reached the amount (instances that reached it)."""
    frame = con.sql(sql("int_budget_replay_members")).to_arrow_table()
    columns = {"request_index": pa.int64(), "source": pa.string(), "request_id": pa.string(),
               "decision": pa.string(), "budget_id": pa.string(), "scope_value": pa.string(),
               "period_start": pa.timestamp("us", tz="UTC"), "failover_model": pa.string()}
    instance_columns = {"budget_id": pa.string(), "scope_value": pa.string(),
                        "period_start": pa.timestamp("us", tz="UTC"),
                        "exhausted_at": pa.timestamp("us", tz="UTC")}
    if frame.num_rows == 0:
        return pa.schema(columns).empty_table(), pa.schema(instance_columns).empty_table()
    # Members arrive in replay order; each request's run of rows is one slice.
    request_index = frame.column("request_index").to_numpy()
    firsts = np.flatnonzero(np.r_[True, request_index[1:] != request_index[:-1]])
    ptr = np.r_[firsts, len(request_index)].astype(np.int64)
    instance = frame.column("instance_index").to_numpy()
    amounts = np.zeros(int(instance.max()) + 1, np.int64)
    amounts[instance] = frame.column("amount_nano").to_numpy()
    outcome = enforce(ptr, instance, frame.column("action_code").to_numpy(),
                      frame.column("failover_cost_nano").to_numpy(),
                      frame.column("cost_nano").to_numpy()[firsts], amounts)
    changed = np.flatnonzero(outcome.decision)
    labels = np.where(outcome.decision[changed] == BLOCK, "blocked", "failover")
    picked = frame.take(pa.array(outcome.deciding_member[changed]))
    decisions = pa.table({
        "request_index": picked.column("request_index"),
        "source": picked.column("source"), "request_id": picked.column("request_id"),
        "decision": pa.array(labels.tolist(), pa.string()),
        "budget_id": picked.column("budget_id"), "scope_value": picked.column("scope_value"),
        "period_start": picked.column("period_start").cast(pa.timestamp("us", tz="UTC")),
        "failover_model": picked.column("failover_model")})
    # An instance's row of its first member names it; the request it was exhausted at, its time.
    reached = np.flatnonzero(outcome.exhausted_at >= 0)
    first_member = np.full(len(amounts), -1, np.int64)
    first_member[instance[::-1]] = np.arange(len(instance))[::-1]
    named = frame.take(pa.array(first_member[reached]))
    at = frame.take(pa.array(firsts[outcome.exhausted_at[reached]])).column("occurred_at")
    exhausted = pa.table({
        "budget_id": named.column("budget_id"), "scope_value": named.column("scope_value"),
        "period_start": named.column("period_start").cast(pa.timestamp("us", tz="UTC")),
        "exhausted_at": at.cast(pa.timestamp("us", tz="UTC"))})
    return decisions, exhausted
