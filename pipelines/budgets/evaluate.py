"""``llmcost anomalies eval``: inject seeded incidents into a real request history and measure
what the detectors catch, how many false alarms they raise, and how long and how many dollars
each incident runs before a nightly or an hourly pipeline would report it.

Incidents (each trial injects one of every kind, at random places after the warm-up):
- ``spike_x3``: one feature's requests of one day sent three times (x3 that day);
- ``shift_week``: half of one feature's requests duplicated for seven days (+50%);
- ``retry_loop``: 200 calls of one prompt, one key and session, 30 s apart, $0.0744 each;
- ``key_compromise``: an existing key spends $100 an hour for 12 hours (200 calls an hour)
  on a model it never used;
- ``new_model``: a model never seen before, 50 calls of $1 over two hours.

Scoring is per event (Kim et al. 2022: no point adjustment): an incident is caught when an
alarm of its kind touches one of its series in [start, end + 24 h]. Other alarms of the
injected run that neither the original history had nor an incident explains are false alarms.
Pipeline time: a nightly run (02:45 UTC, after the day's partition is built) sees a day's data
the next morning; an hourly run at the next full hour.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from pipelines import db
from pipelines.budgets import config as budgets_config
from pipelines.budgets.anomalies import detect_anomalies
from pipelines.paths import Home
from pipelines.warehouse import open_read_only

KINDS = ("spike_x3", "shift_week", "retry_loop", "key_compromise", "new_model")
DETECTOR_OF = {"spike_x3": "spend_spike", "shift_week": "spend_spike",
               "retry_loop": "retry_loop", "key_compromise": "key_spike",
               "new_model": "new_model"}
COLUMNS = ("request_id", "source", "occurred_at", "usage_date", "cost_usd", "is_priced", "team",
           "feature", "model", "provider", "api_key_hash", "session_id", "prompt_hash")
NIGHTLY_AT = timedelta(hours=2, minutes=45)


@dataclass
class Incident:
    kind: str
    start: datetime
    end: datetime
    touched: set[tuple[str, str]]   # (dimension, value) of the series it moves
    rows: pa.Table | None = None
    detected_at: datetime | None = None


@dataclass
class EvalResult:
    trials: int
    requests: int
    days: int
    series: int
    incidents: list[Incident] = field(default_factory=list)
    baseline_alarms: dict[str, int] = field(default_factory=dict)
    false_alarms: int = 0
    series_months: float = 0.0
    seconds: float = 0.0


def _history(home: Home) -> pa.Table:
    con = open_read_only(home)
    try:
        return con.sql(f"select {', '.join(COLUMNS)} from requests").to_arrow_table()
    finally:
        con.close()


def _synthetic(n: int, start: datetime, step: timedelta, cost: float, **values) -> pa.Table:
    times = [start + i * step for i in range(n)]
    tag = values.pop("tag")
    return pa.table({
        "request_id": [f"{tag}-{i}" for i in range(n)], "source": ["eval"] * n,
        "occurred_at": pa.array(times, pa.timestamp("us", tz="UTC")),
        "usage_date": pa.array([t.date() for t in times], pa.date32()),
        "cost_usd": pa.array([cost] * n, pa.float64()).cast(pa.decimal128(38, 12)),
        "is_priced": [True] * n,
        **{name: pa.array([values.get(name)] * n, pa.uint64() if name == "prompt_hash"
                          else pa.string())
           for name in ("team", "feature", "model", "provider", "api_key_hash", "session_id",
                        "prompt_hash")},
    })


def _duplicate(con, trial: int, tag: str, team: str, feature: str, first: datetime,
               last: datetime, share_pct: int, copies: int) -> pa.Table:
    return con.sql("""
        select base.* replace (base.request_id || '#' || $tag || '-' || copies.copy_number
                               as request_id, 'eval' as source)
        from base, range($copies) as copies(copy_number)
        where team = $team and feature = $feature and occurred_at >= $first
            and occurred_at < $last and hash(request_id, $trial) % 100 < $share
    """, params={"tag": tag, "copies": copies, "team": team, "feature": feature,
                 "first": first, "last": last, "trial": trial, "share": share_pct}
    ).to_arrow_table()


def _incidents(con, rng: random.Random, trial: int, warm_from: datetime, last_day: datetime,
               features: list[tuple], keys: list[str]) -> list[Incident]:
    out = []
    day_count = (last_day - warm_from).days
    days = rng.sample(range(day_count), min(day_count, 5))
    days += [rng.randrange(day_count) for _ in range(5 - len(days))]
    team, feature, model, provider = rng.choice(features)
    start = warm_from + timedelta(days=days[0])
    out.append(Incident("spike_x3", start, start + timedelta(days=1), {
        ("feature", f"{team}/{feature}"), ("team", team), ("model", model),
        ("provider", provider)},
        _duplicate(con, trial, f"x3-{trial}", team, feature, start, start + timedelta(days=1),
                   100, 2)))
    team, feature, model, provider = rng.choice(features)
    start = warm_from + timedelta(days=min(days[1], max(0, day_count - 7)))
    out.append(Incident("shift_week", start, start + timedelta(days=7), {
        ("feature", f"{team}/{feature}"), ("team", team), ("model", model),
        ("provider", provider)},
        _duplicate(con, trial, f"wk-{trial}", team, feature, start, start + timedelta(days=7),
                   50, 1)))
    start = warm_from + timedelta(days=days[2], seconds=rng.randrange(86_400 - 7_200))
    key = rng.choice(keys)
    session = f"eval-loop-{trial}"
    out.append(Incident("retry_loop", start, start + timedelta(seconds=30 * 199), {
        ("session_id", session), ("api_key_hash", key)},
        _synthetic(200, start, timedelta(seconds=30), 0.0744, tag=f"loop-{trial}",
                   team="eval", feature="loop", model="gpt-4o", provider="openai",
                   api_key_hash=key, session_id=session, prompt_hash=rng.getrandbits(63))))
    start = warm_from + timedelta(days=days[3], hours=rng.randrange(12))
    key = rng.choice(keys)
    out.append(Incident("key_compromise", start, start + timedelta(hours=12), {
        ("api_key_hash", key), ("model", "claude-opus-4-6"), ("provider", "anthropic")},
        _synthetic(2400, start, timedelta(seconds=18), 0.5, tag=f"leak-{trial}",
                   team="eval", feature="leak", model="claude-opus-4-6",
                   provider="anthropic", api_key_hash=key)))
    start = warm_from + timedelta(days=days[4], hours=rng.randrange(20))
    name = f"eval-model-{trial}"
    out.append(Incident("new_model", start, start + timedelta(hours=2), {
        ("model", f"openai/{name}"), ("model", name), ("provider", "openai")},
        _synthetic(50, start, timedelta(seconds=144), 1.0, tag=f"model-{trial}",
                   team="eval", feature="new-model", model=name, provider="openai")))
    for incident in out:
        incident.touched |= _series_of(incident.rows)
    return out


def _series_of(rows: pa.Table) -> set[tuple[str, str]]:
    """Every series the injected rows move (a duplicated feature also moves its keys)."""
    out = set()
    for row in rows.select(["team", "feature", "model", "provider", "api_key_hash",
                            "session_id"]).to_pylist():
        team, feature = row["team"] or "unattributed", row["feature"] or "unattributed"
        out |= {("team", team), ("feature", f"{team}/{feature}"), ("model", row["model"]),
                ("provider", row["provider"]), ("model", f"{row['provider']}/{row['model']}"),
                ("api_key_hash", row["api_key_hash"]), ("session_id", row["session_id"])}
    return out


def _detect(con, cfg, extra: list[pa.Table]) -> list[tuple]:
    con.execute("create or replace table requests as select * from base")
    for i, table in enumerate(extra):
        con.register(f"extra_{i}", table)
        con.execute(f"insert into requests by name select * from extra_{i}")
        con.unregister(f"extra_{i}")
    name = detect_anomalies(con, cfg)
    return con.execute(f"select anomaly_id, kind, dimension, dimension_value, window_start, "
                       f"window_end, detected_at from {name}").fetchall()


def _explains(incident: Incident, alarm: tuple) -> bool:
    _, _, dimension, value, window_start, window_end, _ = alarm
    return ((dimension, value) in incident.touched
            and window_start < incident.end + timedelta(hours=24)
            and window_end > incident.start)


def evaluate(home: Home, *, seed: int = 42, trials: int = 4) -> EvalResult:
    started = time.perf_counter()
    cfg = budgets_config.load(home.root).anomalies
    history = _history(home)
    con = db.connect()
    con.register("history", history)
    con.execute("create table base as select * from history")
    con.unregister("history")
    first_at, last_at = con.execute("select min(occurred_at), max(occurred_at) from base"
                                    ).fetchall()[0]
    first_day = datetime(first_at.year, first_at.month, first_at.day, tzinfo=UTC)
    last_day = datetime(last_at.year, last_at.month, last_at.day, tzinfo=UTC)
    warm_from = first_day + timedelta(days=cfg.warmup_days + 1)
    if warm_from >= last_day:
        raise ValueError(f"the history spans {(last_day - first_day).days + 1} days: the "
                         f"evaluation needs more than {cfg.warmup_days + 2} (the warm-up)")
    # Features that spend enough for a x3 day (+2x its usual spend) to clear the impact floor.
    features = con.execute("""
        with daily as (
            select team, feature, usage_date, sum(cost_usd) as cost_usd
            from base where team is not null and feature is not null group by all
        ),
        top_model as (
            select team, feature, arg_max(model, cost_usd) as model,
                arg_max(provider, cost_usd) as provider
            from (select team, feature, model, provider, sum(cost_usd) as cost_usd
                  from base group by all)
            group by all
        )
        select daily.team, daily.feature, any_value(top_model.model),
            any_value(top_model.provider)
        from daily
        inner join top_model
            on top_model.team = daily.team and top_model.feature = daily.feature
        group by daily.team, daily.feature
        having median(daily.cost_usd) * 2 >= $floor
        order by all
    """, {"floor": cfg.min_impact_usd}).fetchall()
    # Keys in use from the first day: past the warm-up wherever the incident lands.
    keys = [row[0] for row in con.execute(
        "select api_key_hash from base where api_key_hash is not null group by 1 "
        "having min(occurred_at) < $since order by 1",
        {"since": first_day + timedelta(days=1)}).fetchall()]
    if not features or not keys:
        raise ValueError("the history has no feature spending above the impact floor or no "
                         "API key: nothing to inject into")
    baseline = _detect(con, cfg, [])
    series = con.execute("select count(distinct team) + count(distinct (team, feature)) + "
                         "count(distinct model) + count(distinct provider) + "
                         "count(distinct api_key_hash) from base").fetchall()[0][0]
    result = EvalResult(trials=trials, requests=history.num_rows,
                        days=(last_day - first_day).days + 1, series=series)
    for alarm in baseline:
        result.baseline_alarms[alarm[1]] = result.baseline_alarms.get(alarm[1], 0) + 1
    baseline_ids = {alarm[0] for alarm in baseline}
    for trial in range(trials):
        incidents = _incidents(con, random.Random(seed * 1000 + trial), trial, warm_from,
                               last_day, features, keys)
        alarms = _detect(con, cfg, [incident.rows for incident in incidents])
        for alarm in alarms:
            explained = [i for i in incidents if _explains(i, alarm)]
            for incident in explained:
                if alarm[1] == DETECTOR_OF[incident.kind] and (
                        incident.detected_at is None or alarm[6] < incident.detected_at):
                    incident.detected_at = alarm[6]
            if not explained and alarm[0] not in baseline_ids and alarm[1] in (
                    "spend_spike", "key_spike"):
                result.false_alarms += 1
        for incident in incidents:
            incident.rows = _spend_profile(incident.rows)
        result.incidents.extend(incidents)
    months = (last_day - warm_from).days / 30.0
    result.series_months = series * months
    result.seconds = time.perf_counter() - started
    return result


def _spend_profile(rows: pa.Table) -> pa.Table:
    return rows.select(["occurred_at", "cost_usd"])


def pipeline_time(detected_at: datetime, cadence: str) -> datetime:
    """When a pipeline on that cadence reports an alarm whose evidence completed at
    `detected_at`."""
    if cadence == "hourly":
        floor = detected_at.replace(minute=0, second=0, microsecond=0)
        return floor if floor == detected_at else floor + timedelta(hours=1)
    day = (detected_at - timedelta(microseconds=1)).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
    return day + timedelta(days=1) + NIGHTLY_AT


def _spent_before(incident: Incident, at: datetime) -> float:
    times = incident.rows.column("occurred_at").to_pylist()
    costs = incident.rows.column("cost_usd").to_pylist()
    return float(sum(c or 0 for t, c in zip(times, costs, strict=True) if t < at))


def render(result: EvalResult) -> str:
    from pipelines.report import format_table

    rows = []
    for kind in KINDS:
        incidents = [i for i in result.incidents if i.kind == kind]
        caught = [i for i in incidents if i.detected_at is not None]
        row = [kind, DETECTOR_OF[kind], f"{len(caught)}/{len(incidents)}"]
        for cadence in ("nightly", "hourly"):
            if caught:
                hours = [(pipeline_time(i.detected_at, cadence) - i.start).total_seconds() / 3600
                         for i in caught]
                dollars = [_spent_before(i, pipeline_time(i.detected_at, cadence))
                           for i in caught]
                row += [round(statistics.median(hours), 1), round(statistics.median(dollars), 2)]
            else:
                row += [None, None]
        rows.append(row)
    table = format_table(("incident", "detector", "caught", "nightly_h_p50", "nightly_usd_p50",
                          "hourly_h_p50", "hourly_usd_p50"), rows)
    rate = result.false_alarms / result.series_months if result.series_months else 0.0
    baseline = ", ".join(f"{k} {v}" for k, v in sorted(result.baseline_alarms.items())) or "none"
    return "\n".join([
        f"anomaly evaluation: {result.trials} trial(s) x {len(KINDS)} incident kinds injected "
        f"into {result.requests:,} requests over {result.days} days ({result.series} series) "
        f"in {result.seconds:.1f}s",
        table,
        "(h = hours from incident start until the pipeline reports it; usd = what the "
        "incident had cost by then; p50 over the caught incidents)",
        f"false alarms (spend_spike / key_spike not explained by an injected incident nor "
        f"present in the original history): {result.false_alarms} over "
        f"{result.series_months:.1f} series-months x {result.trials} trial(s) = "
        f"{rate / max(result.trials, 1):.4f} per series-month",
        f"alarms on the original history (real incidents or false alarms): {baseline}",
    ])
