"""Reconciliation of the logs with the provider's bill: its settings and its month report.

The work is SQL (``sql/marts/reconciliation.sql``); this module reads the tolerance a cell's
status is judged against and prints ``llmcost reconcile``. Settings, all optional, in
``$LLMCOST_HOME/reconcile.toml``::

    tolerance_pct = 0.02   # a difference within 2 % of the bill is 'ok'
    tolerance_usd = 0.01   # ... or within one cent (the Console rounds each row to cents)

``LLMCOST_RECONCILE_TOLERANCE`` (a fraction, e.g. 0.05) overrides ``tolerance_pct``.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import report

SETTINGS_FILE = "reconcile.toml"
TOLERANCE_ENV = "LLMCOST_RECONCILE_TOLERANCE"
WORST_CELLS = 10


class ReconcileConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ReconcileSettings:
    tolerance_pct: float = 0.02
    tolerance_usd: float = 0.01

    def table(self) -> pa.Table:
        return pa.table({"tolerance_pct": pa.array([self.tolerance_pct], pa.float64()),
                         "tolerance_usd": pa.array([self.tolerance_usd], pa.float64())})


def _number(value, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value) or value < 0:
        raise ReconcileConfigError(f"{where}: {key} must be a number >= 0, not {value!r}")
    return float(value)


def load_settings(home_root: Path, environ: dict | None = None) -> ReconcileSettings:
    """Defaults, then reconcile.toml, then the environment; a bad value stops with its key."""
    environ = os.environ if environ is None else environ
    values: dict[str, float] = {}
    path = home_root / SETTINGS_FILE
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ReconcileConfigError(f"{path}: not valid TOML: {exc}") from exc
        unknown = sorted(set(raw) - {"tolerance_pct", "tolerance_usd"})
        if unknown:
            raise ReconcileConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; known: "
                                       "tolerance_pct, tolerance_usd")
        values = {key: _number(value, str(path), key) for key, value in raw.items()}
    text = environ.get(TOLERANCE_ENV, "").strip()
    if text:
        try:
            values["tolerance_pct"] = _number(float(text), TOLERANCE_ENV, TOLERANCE_ENV)
        except ValueError as exc:
            raise ReconcileConfigError(f"{TOLERANCE_ENV}={text!r}: {exc}") from None
    settings = ReconcileSettings(**values)
    if settings.tolerance_pct >= 1:
        raise ReconcileConfigError(f"tolerance_pct {settings.tolerance_pct} is a fraction: "
                                   "use 0.02 for 2 %")
    return settings


def month_bounds(month: str | None, con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    """[first day, first day of the next month) of YYYY-MM, or of the latest reconciled month."""
    if month is None:
        latest = con.execute("select max(usage_date) from reconciliation").fetchall()[0][0]
        if latest is None:
            raise ValueError("nothing to reconcile: no provider export (usage or cost) has been "
                             "ingested; see `llmcost sources`")
        first = latest.replace(day=1)
    else:
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise ValueError(f"--month {month!r}: expected YYYY-MM") from None
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return first, following


DAYS_SQL = """
select usage_date, provider, round(sum(logs_cost_usd), 2) as logs_usd,
       round(sum(billed_usd), 2) as billed_usd, round(sum(difference_usd), 2) as difference_usd,
       round(sum(logs_cost_usd) / nullif(sum(billed_usd), 0), 4) as capture_rate,
       round(sum(volume_usd), 2) as volume_usd, round(sum(price_usd), 2) as price_usd,
       round(sum(no_logs_usd + tier_usd + cache_ttl_usd + server_tools_usd
                 + unseen_requests_usd), 2) as known_causes_usd,
       round(sum(residual_usd), 2) as residual_usd,
       count(*) filter (where status = 'unexplained') as unexplained_cells
from reconciliation where usage_date >= ? and usage_date < ?
group by all order by usage_date, provider
"""

WORST_SQL = """
select usage_date, provider, model, account, status, round(logs_cost_usd, 2) as logs_usd,
       round(billed_usd, 2) as billed_usd, round(difference_usd, 2) as difference_usd,
       round(residual_usd, 2) as residual_usd,
       array_to_string(known_causes, ', ') as known_causes
from reconciliation where usage_date >= ? and usage_date < ? and status <> 'ok'
order by abs(residual_usd) desc, abs(difference_usd) desc, usage_date, provider, model, account
limit ?
"""


def month_report(con: duckdb.DuckDBPyConnection, month: str | None) -> str:
    first, following = month_bounds(month, con)
    cursor = con.execute(DAYS_SQL, [first, following])
    columns = [column[0] for column in cursor.description]
    days = cursor.fetchall()
    cursor = con.execute(WORST_SQL, [first, following, WORST_CELLS])
    worst_columns = [column[0] for column in cursor.description]
    worst = cursor.fetchall()
    totals = con.execute(
        "select coalesce(sum(logs_cost_usd), 0), coalesce(sum(billed_usd), 0), "
        "coalesce(sum(residual_usd), 0), count(*) filter (where status = 'unexplained'), "
        "any_value(tolerance_pct) from reconciliation where usage_date >= ? and usage_date < ?",
        [first, following]).fetchall()[0]
    logs, billed, residual, unexplained, tolerance = totals
    lines = [f"Reconciliation {first:%Y-%m}: logs ${logs:,.2f} vs bill ${billed:,.2f} "
             f"(capture rate {logs / billed:.1%})" if billed else
             f"Reconciliation {first:%Y-%m}: logs ${logs:,.2f}, no bill",
             f"unexplained residual ${residual:,.2f}; {unexplained} cell(s) outside the "
             f"tolerance ({(tolerance or 0):.1%})" if tolerance is not None else
             "no reconciled cells this month", "", "Day by day:",
             report.format_table(columns, days) if days else "  (no provider export this month)"]
    lines += ["", f"Worst cells (largest unexplained residual, at most {WORST_CELLS}):",
              report.format_table(worst_columns, worst) if worst else "  none: every cell is ok"]
    return "\n".join(lines)
