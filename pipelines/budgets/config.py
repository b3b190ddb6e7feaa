"""Budgets and anomaly settings: ``$LLMCOST_HOME/budgets.toml``, validated as a whole.

A bad file stops with the key and the reason; nothing is built from half a file. Example::

    timezone = "UTC"          # periods are [start, end) in this zone
    week_start = "monday"

    [[budget]]
    id = "team-search"
    scope = { team = "search" }          # no scope = the whole organisation; "*" = one
    period = "month"                     # budget per value of that key
    amount_usd = 3000
    action = { production = "failover", default = "block" }   # or "alert" | "block" | ...
    thresholds = [0.5, 0.8, 0.95, 1.0]   # the default
    forecast_thresholds = [1.0]          # the default
    failover_model = "openai/gpt-4o-mini"

    [anomalies]                          # every key optional
    min_impact_usd = 5.0
    min_impact_pct = 0.2
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import pyarrow as pa

PERIODS = ("day", "week", "month", "quarter")
ACTIONS = ("alert", "failover", "block")  # strictest last: block > failover > alert
SCOPE_KEYS = ("team", "feature", "environment", "project", "provider", "model",
              "api_key_hash", "user_id")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_THRESHOLDS = (0.5, 0.8, 0.95, 1.0)
DEFAULT_FORECAST_THRESHOLDS = (1.0,)
BUDGET_KEYS = ("id", "scope", "period", "amount_usd", "action", "thresholds",
               "forecast_thresholds", "failover_model")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class BudgetsConfigError(ValueError):
    pass


@dataclass(frozen=True)
class AnomalyConfig:
    min_impact_usd: float = 5.0         # an anomaly must cost at least this much more ...
    min_impact_pct: float = 0.2         # ... and this share above the expected spend
    z_threshold: float = 3.5            # robust z (Iglewicz-Hoaglin) on the daily residual
    warmup_days: int = 14               # no alarm before a series has this much history
    baseline_days: int = 28             # the baseline window
    key_spike_factor: float = 10.0      # key hour spend >= this x its own p99 hourly spend
    key_spike_alone_factor: float = 100.0  # ... or this x without a second signal
    retry_window_minutes: int = 10
    retry_min_calls: int = 15           # same key, session and prompt this often in the window
    retry_min_usd: float = 1.0          # and the loop has cost at least this much


@dataclass(frozen=True)
class Budget:
    id: str
    period: str
    amount_usd: float
    scope: tuple[tuple[str, str], ...] = ()         # sorted (key, value); "*" = per value
    actions: tuple[tuple[str, str], ...] = (("default", "alert"),)  # environment -> action
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    forecast_thresholds: tuple[float, ...] = DEFAULT_FORECAST_THRESHOLDS
    failover_model: str | None = None


@dataclass(frozen=True)
class BudgetsConfig:
    timezone: str = "UTC"
    week_start: str = "monday"
    forecast_min_elapsed: float = 0.2   # no forecast alert before this share of the period
    budgets: tuple[Budget, ...] = ()
    anomalies: AnomalyConfig = field(default_factory=AnomalyConfig)
    source: str = "defaults"

    def budgets_table(self) -> pa.Table:
        """One row per budget for the SQL (scope and actions as lists of key/value structs)."""
        kv = pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))
        rows = [{
            "budget_id": b.id, "period": b.period, "amount_usd": b.amount_usd,
            "scope": [{"key": k, "value": v} for k, v in b.scope],
            "actions": [{"key": k, "value": v} for k, v in b.actions],
            "default_action": dict(b.actions)["default"],
            "thresholds": list(b.thresholds), "forecast_thresholds": list(b.forecast_thresholds),
            "failover_model": b.failover_model, "budget_order": i,
        } for i, b in enumerate(self.budgets)]
        return pa.Table.from_pylist(rows, schema=pa.schema([
            ("budget_id", pa.string()), ("period", pa.string()), ("amount_usd", pa.float64()),
            ("scope", kv), ("actions", kv), ("default_action", pa.string()),
            ("thresholds", pa.list_(pa.float64())),
            ("forecast_thresholds", pa.list_(pa.float64())), ("failover_model", pa.string()),
            ("budget_order", pa.int64())]))


def _number(value, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BudgetsConfigError(f"{where} must be a number, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise BudgetsConfigError(f"{where} must be {'> 0' if positive else '>= 0'}, "
                                 f"not {value!r}")
    return float(value)


def _fractions(value, where: str) -> tuple[float, ...]:
    if not isinstance(value, list) or not value:
        raise BudgetsConfigError(f"{where} must be a non-empty list of fractions, e.g. [0.5, 1.0]")
    out = tuple(sorted({_number(v, where) for v in value}))
    if any(not 0 < v <= 10 for v in out):
        raise BudgetsConfigError(f"{where}: thresholds are fractions of the amount in (0, 10] "
                                 f"(0.8 = 80%), not {value!r}")
    return out


def _budget(raw, index: int, path: Path) -> Budget:
    where = f"{path}: budget[{index}]"
    if not isinstance(raw, dict):
        raise BudgetsConfigError(f"{where} must be a table ([[budget]])")
    unknown = sorted(set(raw) - set(BUDGET_KEYS))
    if unknown:
        raise BudgetsConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: "
                                 f"{', '.join(BUDGET_KEYS)}")
    for needed in ("id", "period", "amount_usd"):
        if needed not in raw:
            raise BudgetsConfigError(f"{where}: missing key {needed}")
    budget_id = raw["id"]
    if not isinstance(budget_id, str) or not _ID.match(budget_id):
        raise BudgetsConfigError(f"{where}.id must be letters, digits, '.', '_' or '-', "
                                 f"not {budget_id!r}")
    where = f"{path}: budget {budget_id!r}"
    if raw["period"] not in PERIODS:
        raise BudgetsConfigError(f"{where}: period must be one of {', '.join(PERIODS)}, "
                                 f"not {raw['period']!r}")
    amount = _number(raw["amount_usd"], f"{where}: amount_usd", positive=True)
    scope = raw.get("scope", {})
    if not isinstance(scope, dict):
        raise BudgetsConfigError(f"{where}: scope must be a table, e.g. {{ team = \"search\" }}")
    for key, value in scope.items():
        if key not in SCOPE_KEYS:
            raise BudgetsConfigError(f"{where}: scope key {key!r} is not one of "
                                     f"{', '.join(SCOPE_KEYS)}")
        if not isinstance(value, str) or not value:
            raise BudgetsConfigError(f"{where}: scope.{key} must be a non-empty string "
                                     f"(\"*\" = one budget per value)")
    action = raw.get("action", "alert")
    actions = action if isinstance(action, dict) else {"default": action}
    if not actions:
        raise BudgetsConfigError(f"{where}: action must not be an empty table")
    for env, value in actions.items():
        if value not in ACTIONS:
            raise BudgetsConfigError(f"{where}: action{'' if env == 'default' else '.' + env} "
                                     f"must be one of {', '.join(ACTIONS)}, not {value!r}")
    actions.setdefault("default", "alert")
    failover = raw.get("failover_model")
    if failover is not None and (not isinstance(failover, str) or "/" not in failover):
        raise BudgetsConfigError(f"{where}: failover_model must be \"provider/model\", "
                                 f"not {failover!r}")
    if "failover" in actions.values() and failover is None:
        raise BudgetsConfigError(f"{where}: action failover needs failover_model")
    return Budget(
        id=budget_id, period=raw["period"], amount_usd=amount,
        scope=tuple(sorted(scope.items())), actions=tuple(sorted(actions.items())),
        thresholds=_fractions(raw.get("thresholds", list(DEFAULT_THRESHOLDS)),
                              f"{where}: thresholds"),
        forecast_thresholds=_fractions(
            raw.get("forecast_thresholds", list(DEFAULT_FORECAST_THRESHOLDS)),
            f"{where}: forecast_thresholds"),
        failover_model=failover)


def _anomalies(raw, path: Path) -> AnomalyConfig:
    where = f"{path}: [anomalies]"
    if not isinstance(raw, dict):
        raise BudgetsConfigError(f"{where} must be a table")
    known = {f.name: f for f in fields(AnomalyConfig)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise BudgetsConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: "
                                 f"{', '.join(known)}")
    out = AnomalyConfig()
    for key, value in raw.items():
        number = _number(value, f"{where} {key}", positive=key != "min_impact_usd")
        if isinstance(getattr(out, key), int):
            if number != int(number):
                raise BudgetsConfigError(f"{where} {key} must be a whole number")
            number = int(number)
        out = replace(out, **{key: number})
    return out


def parse(raw: dict, path: Path) -> BudgetsConfig:
    top = ("timezone", "week_start", "forecast_min_elapsed", "budget", "anomalies")
    unknown = sorted(set(raw) - set(top))
    if unknown:
        raise BudgetsConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; known: "
                                 f"{', '.join(top)}")
    timezone = raw.get("timezone", "UTC")
    try:
        if not isinstance(timezone, str):
            raise zoneinfo.ZoneInfoNotFoundError
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise BudgetsConfigError(f"{path}: timezone {timezone!r} is not an IANA time zone "
                                 "(e.g. \"UTC\", \"America/New_York\")") from exc
    week_start = raw.get("week_start", "monday")
    if week_start not in WEEKDAYS:
        raise BudgetsConfigError(f"{path}: week_start must be one of {', '.join(WEEKDAYS)}, "
                                 f"not {week_start!r}")
    elapsed = _number(raw.get("forecast_min_elapsed", 0.2), f"{path}: forecast_min_elapsed")
    if elapsed > 1:
        raise BudgetsConfigError(f"{path}: forecast_min_elapsed is a share of the period in "
                                 "[0, 1]")
    entries = raw.get("budget", [])
    if not isinstance(entries, list):
        raise BudgetsConfigError(f"{path}: budget must be an array of tables ([[budget]])")
    budgets = tuple(_budget(entry, i, path) for i, entry in enumerate(entries))
    seen: set[str] = set()
    for budget in budgets:
        if budget.id in seen:
            raise BudgetsConfigError(f"{path}: budget id {budget.id!r} is used twice")
        seen.add(budget.id)
    return BudgetsConfig(timezone=timezone, week_start=week_start, forecast_min_elapsed=elapsed,
                         budgets=budgets, anomalies=_anomalies(raw.get("anomalies", {}), path),
                         source=str(path))


def load(home_root: Path) -> BudgetsConfig:
    """The settings in ``home_root/budgets.toml``; no file = no budgets, default anomalies."""
    path = home_root / "budgets.toml"
    if not path.exists():
        return BudgetsConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BudgetsConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse(raw, path)
