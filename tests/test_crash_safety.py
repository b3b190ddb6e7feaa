"""Crash safety and concurrency: the numbers survive a SIGKILL anywhere, and two writers at once.

The pipeline is killed (SIGKILL: no cleanup handler runs, exactly like an OOM kill or a pulled
plug of the container) at random points of `llmcost run`, many times in a row. After every kill:
the warehouse opens, shows a consistent state (all marts of one build, or none), the lake shows
only committed runs, and the next run completes. At the end the totals equal those of a clean
run to the cent: same loaded count, no request twice, same quarantine.
"""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines import warehouse
from pipelines.demo.generate import generate_demo
from pipelines.lake import INGEST_RUNS, QUARANTINE, REQUESTS, Lake
from pipelines.paths import PROJECT_ROOT, Home

MARTS = warehouse.MARTS
# Per landed day, `run` is started and SIGKILLed this many times before it may finish.
KILLS_PER_DAY = 3
SEED = 20261128


def cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "--home", str(home), *args]


def run_cli(home: Path, *args: str, timeout: float = 600, env: dict | None = None
            ) -> subprocess.CompletedProcess:
    return subprocess.run(cli(home, *args), cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


@dataclass
class Totals:
    loaded: int
    cost: Decimal
    rows: list[tuple]
    quarantine: int
    duplicates: int
    ingest_files: int
    daily_logs_cost: Decimal


def read_totals(home: Home) -> Totals:
    con = warehouse.open_read_only(home)
    try:
        def one(sql: str):
            return con.execute(sql).fetchall()[0]

        loaded, cost = one("SELECT count(*), sum(cost_usd) FROM requests")
        rows = con.execute("SELECT source, request_id, cost_usd, usage_date FROM requests "
                           "ORDER BY ALL").fetchall()
        quarantine, duplicates = one(
            "SELECT count(*), count(*) FILTER (WHERE is_duplicate) FROM quarantine")
        (ingest_files,) = one("SELECT count(*) FROM ingest_runs")
        (daily,) = one("SELECT sum(cost_usd) FROM daily_costs WHERE cost_basis = 'logs'")
    finally:
        con.close()
    return Totals(loaded, cost, rows, quarantine, duplicates, ingest_files, daily)


def check_warehouse_consistent(home: Home) -> str:
    """The warehouse (if any) opens read-only and holds one build: every mart or none, and the
    marts agree with each other. Returns 'none', 'empty' (no marts yet) or 'built'."""
    if not home.warehouse.exists():
        return "none"
    con = warehouse.open_read_only(home)
    try:
        tables = {name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()}
        present = tables & set(MARTS)
        if not present:
            return "empty"
        assert present == set(MARTS), f"a build was half committed: only {sorted(present)}"

        def one(sql: str):
            return con.execute(sql).fetchall()[0]

        requests, request_cost, distinct = one(
            "SELECT count(*), sum(cost_usd), count(DISTINCT (source, request_id)) FROM requests")
        assert requests == distinct, "a request id is in the warehouse twice"
        (daily_requests, daily_cost) = one(
            "SELECT sum(requests), sum(cost_usd) FROM daily_costs WHERE cost_basis = 'logs'")
        assert daily_requests == requests
        assert daily_cost == request_cost
        unbalanced, loaded = one(
            "SELECT count(*) FILTER (WHERE NOT is_balanced), sum(records_loaded) "
            "FROM ingest_runs")
        assert unbalanced == 0
        # requests and ingest_runs come from the same lake snapshot (one build transaction).
        assert loaded == requests
        (quarantined,) = one("SELECT count(*) FROM quarantine")
        (expected_quarantined,) = one(
            "SELECT sum(records_duplicate + records_quarantined) FROM ingest_runs")
        assert quarantined == expected_quarantined
    finally:
        con.close()
    return "built"


def check_lake_consistent(home: Home) -> None:
    """Committed runs only: each run's data files hold what its marker says; no request id is
    committed twice; orphans (a crash mid-publish) are never counted."""
    lake = Lake(home.lake)
    runs = lake.files(INGEST_RUNS)
    if not runs:
        return
    con = duckdb.connect()
    try:
        markers = con.execute(
            "SELECT run_id, records_loaded, records_duplicate + records_quarantined "
            "FROM read_parquet(?)", [[str(f.path) for f in runs]]).fetchall()
        assert len({run for run, _, _ in markers}) == len(markers)
        committed = {run: (loaded, rejected) for run, loaded, rejected in markers}
        request_files = lake.files(REQUESTS)
        loaded_by_run: dict[str, int] = {}
        if request_files:
            rows = con.execute(
                "SELECT parse_filename(filename, true) AS run, count(*), "
                "count(*) - count(DISTINCT request_id) "
                "FROM read_parquet(?, filename = true, hive_partitioning = true) GROUP BY run",
                [[str(f.path) for f in request_files]]).fetchall()
            loaded_by_run = {run: n for run, n, _ in rows}
            (dupes,) = con.execute(
                "SELECT count(*) - count(DISTINCT (source, request_id)) "
                "FROM read_parquet(?, hive_partitioning = true)",
                [[str(f.path) for f in request_files]]).fetchall()[0]
            assert dupes == 0, "a request id was committed twice to the lake"
        quarantine_files = lake.files(QUARANTINE)
        rejected_by_run: dict[str, int] = {}
        if quarantine_files:
            rejected_by_run = dict(con.execute(
                "SELECT parse_filename(filename, true), count(*) "
                "FROM read_parquet(?, filename = true) GROUP BY 1",
                [[str(f.path) for f in quarantine_files]]).fetchall())
        for run, (loaded, rejected) in committed.items():
            assert loaded_by_run.get(run, 0) == loaded, run
            assert rejected_by_run.get(run, 0) == rejected, run
    finally:
        con.close()


DAYS = 6


@pytest.fixture(scope="module")
def landing_template(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("crash") / "landing"
    generate_demo(landing, requests=3000, days=DAYS, end_date=date(2025, 6, DAYS), seed=1)
    return landing


def day_files(landing: Path, day: int) -> list[Path]:
    stamp = date(2025, 6, day + 1).isoformat()
    return sorted(p for p in landing.rglob("*") if p.is_file() and stamp in p.name)


def copy_files(files: list[Path], template: Path, landing: Path) -> None:
    for path in files:
        target = landing / path.relative_to(template)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


@pytest.fixture(scope="module")
def clean(landing_template: Path, tmp_path_factory) -> Totals:
    """Totals of one uninterrupted run over every file."""
    root = tmp_path_factory.mktemp("clean")
    shutil.copytree(landing_template, root / "landing")
    done = run_cli(root, "run")
    assert done.returncode == 0, done.stderr
    return read_totals(Home(root))


def phase_of(lines: list[str]) -> str:
    """Where a killed run was, from the progress lines it had printed."""
    building = [line for line in lines if line.strip().startswith("building ")]
    if building:
        return "build:" + building[-1].split()[1]
    if any(line.strip().startswith("[") for line in lines):
        return "ingest"
    return "startup"


def run_and_kill(root: Path, rng: random.Random) -> str:
    """Start `llmcost run`, SIGKILL it at a random point (after a chosen progress line plus a
    random delay, or after a random time); return the phase it was killed in, or 'finished'."""
    process = subprocess.Popen(cli(root, "run"), cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, bufsize=1)
    lines: list[str] = []
    killed: list[str] = []

    def kill() -> None:
        if process.poll() is None:
            killed.append(phase_of(list(lines)))
            process.send_signal(signal.SIGKILL)

    target = rng.choice(("ingest", "build", "build", "time"))
    nth = rng.randint(1, 4) if target == "ingest" else rng.randint(1, len(MARTS))
    timer = threading.Timer(rng.uniform(0.3, 4.0), kill) if target == "time" else None
    if timer:
        timer.start()
    seen = 0
    for line in process.stderr:
        lines.append(line)
        stripped = line.strip()
        if timer is None and (
                (target == "ingest" and stripped.startswith("["))
                or (target == "build" and stripped.startswith("building "))):
            seen += 1
            if seen == nth:
                timer = threading.Timer(rng.uniform(0.0, 0.3), kill)
                timer.start()
    process.wait()
    if timer:
        timer.cancel()
    # The process can exit between poll() and the signal: then it simply finished.
    if killed and process.returncode == -signal.SIGKILL:
        return killed[0]
    assert process.returncode == 0, "".join(lines)
    return "finished"


def test_sigkill_anywhere_then_rerun_gives_exact_totals(landing_template, clean, tmp_path):
    """A day of files lands, `run` is killed KILLS_PER_DAY times at random points, then runs to
    completion; the next day lands (an incremental build), and so on. Finally the warehouse
    equals the clean run's, row for row and to the cent."""
    rng = random.Random(SEED)
    root = tmp_path / "home"
    home = Home(root)
    phases: dict[str, int] = {}
    states: dict[str, int] = {}
    orphans = 0
    for day in range(DAYS):
        copy_files(day_files(landing_template, day), landing_template, home.landing)
        for _ in range(KILLS_PER_DAY):
            phase = run_and_kill(root, rng)
            phases[phase] = phases.get(phase, 0) + 1
            # After a kill: the warehouse opens read-only and shows one whole build (or none
            # yet); the lake shows committed runs only, each holding what its marker says.
            state = check_warehouse_consistent(home)
            states[state] = states.get(state, 0) + 1
            check_lake_consistent(home)
            orphans += len(Lake(home.lake).orphan_files())
        done = run_cli(root, "run")
        assert done.returncode == 0, done.stderr
        assert check_warehouse_consistent(home) == "built"
        check_lake_consistent(home)
    staging = home.lake / "_staging"
    staging_left = len(list(staging.iterdir())) if staging.exists() else 0
    got = read_totals(home)
    assert got.loaded == clean.loaded
    assert got.cost == clean.cost
    assert got.rows == clean.rows
    assert got.quarantine == clean.quarantine
    assert got.duplicates == clean.duplicates
    assert got.ingest_files == clean.ingest_files
    assert got.daily_logs_cost == clean.daily_logs_cost
    # A run after recovery changes nothing.
    again = run_cli(root, "run")
    assert again.returncode == 0, again.stderr
    assert read_totals(home) == got
    killed = sum(n for phase, n in phases.items() if phase != "finished")
    print(f"\ncrash safety: {DAYS * KILLS_PER_DAY} runs started, {killed} killed; by phase "
          f"{dict(sorted(phases.items()))}; warehouse after a kill {states}; orphan data "
          f"files seen {orphans}; staging dirs left {staging_left}")
    assert killed >= DAYS * KILLS_PER_DAY // 2
    assert phases.get("ingest", 0) and any(p.startswith("build:") for p in phases), phases


# -- two writers at once ---------------------------------------------------------------------

def test_two_runs_at_once_wait_for_each_other(landing_template, clean, tmp_path):
    expected = clean
    root = tmp_path / "home"
    shutil.copytree(landing_template, root / "landing")
    # The second run must wait for the first however long it takes on a loaded machine: the
    # behaviour under test is the wait, not the default 30 s limit (tested below).
    env = {**os.environ, "LLMCOST_LOCK_WAIT_SECONDS": "600"}
    first = subprocess.Popen(cli(root, "run"), cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(0.2)
    second = subprocess.Popen(cli(root, "run"), cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    outs = [p.communicate(timeout=900) for p in (first, second)]
    for process, (_, stderr) in zip((first, second), outs, strict=True):
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
    assert check_warehouse_consistent(Home(root)) == "built"
    check_lake_consistent(Home(root))
    got = read_totals(Home(root))
    assert (got.loaded, got.cost, got.rows, got.quarantine) == (
        expected.loaded, expected.cost, expected.rows, expected.quarantine)


def hold_writer_lock(home: Home):
    handle = open(home.lock_file, "a+")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle


def test_busy_writer_gives_a_clear_message_naming_the_lock(landing_template, tmp_path):
    root = tmp_path / "home"
    shutil.copytree(landing_template, root / "landing")
    home = Home(root).ensure()
    handle = hold_writer_lock(home)
    try:
        env = {**os.environ, "LLMCOST_LOCK_WAIT_SECONDS": "1"}
        for command in (("run",), ("build",), ("ingest", str(home.landing))):
            done = run_cli(root, *command, env=env)
            assert done.returncode == 1, (command, done.stderr)
            assert "Traceback" not in done.stderr
            assert str(home.lock_file) in done.stderr
            assert f"pid {os.getpid()}" in done.stderr
            assert "LLMCOST_LOCK_WAIT_SECONDS" in done.stderr
    finally:
        handle.close()
    # Nothing was written while the lock was held elsewhere.
    assert not Lake(home.lake).files(INGEST_RUNS)
    assert not home.warehouse.exists()


def test_sql_while_a_build_writes_gives_a_clear_message(landing_template, tmp_path):
    root = tmp_path / "home"
    shutil.copytree(landing_template, root / "landing")
    assert run_cli(root, "run").returncode == 0
    home = Home(root)
    # A writer holds the DuckDB file the way a running build does.
    writer = duckdb.connect(str(home.warehouse))
    try:
        done = run_cli(root, "sql", "select count(*) from requests")
    finally:
        writer.close()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "llmcost: error:" in done.stderr
    assert str(home.warehouse) in done.stderr
    assert "being written by another llmcost run" in done.stderr
    # And once the writer is gone, the same query works.
    done = run_cli(root, "sql", "select count(*) from requests", "--format", "csv")
    assert done.returncode == 0, done.stderr


# -- SIGKILL at the worst moments, deterministically --------------------------------------------

KILL_AT = r"""
import os, signal, sys
from pipelines import db, lake
from pipelines.cli import main

mode, home = sys.argv[1], sys.argv[2]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if mode == "publish":   # data files moved into the lake, commit marker not yet
    move = lake.Lake._move
    def _move(self, path, relative, run_id):
        if relative.parts[0] == lake.INGEST_RUNS:
            die()
        return move(self, path, relative, run_id)
    lake.Lake._move = _move
else:                   # the build's transaction: every mart written, just before/after COMMIT
    connect = db.connect
    class Killing:
        def __init__(self, con):
            self._con = con
        def __getattr__(self, name):
            return getattr(self._con, name)
        def execute(self, sql, *args, **kwargs):
            if sql == "COMMIT" and mode == "before-commit":
                die()
            result = self._con.execute(sql, *args, **kwargs)
            if sql == "COMMIT" and mode == "after-commit":
                die()
            return result
    def killing_connect(database=":memory:", **kwargs):
        con = connect(database, **kwargs)
        return Killing(con) if str(database).endswith("warehouse.duckdb") else con
    db.connect = killing_connect
sys.exit(main(["--home", home, "run"]))
"""


@pytest.fixture(scope="module")
def all_but_last_day(landing_template: Path, tmp_path_factory) -> Path:
    """A data home with every day but the last ingested and built."""
    root = tmp_path_factory.mktemp("all_but_last")
    for day in range(DAYS - 1):
        copy_files(day_files(landing_template, day), landing_template, root / "landing")
    done = run_cli(root, "run")
    assert done.returncode == 0, done.stderr
    return root


@pytest.mark.parametrize("mode", ["publish", "before-commit", "after-commit"])
def test_sigkill_at_the_commit_points(mode, landing_template, clean, all_but_last_day, tmp_path):
    root = tmp_path / "home"
    shutil.copytree(all_but_last_day, root)
    home = Home(root)
    before = read_totals(home)
    copy_files(day_files(landing_template, DAYS - 1), landing_template, home.landing)

    killed = subprocess.run([sys.executable, "-c", KILL_AT, mode, str(root)], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    assert check_warehouse_consistent(home) == "built"
    check_lake_consistent(home)
    after_kill = read_totals(home)
    if mode == "after-commit":
        # Committed (DuckDB replays its WAL, also for a read-only open): the new state.
        assert after_kill.rows == clean.rows and after_kill.cost == clean.cost
    else:
        # Not committed: exactly the previous state.
        assert after_kill == before
    if mode == "publish":
        lake = Lake(home.lake)
        orphans = lake.orphan_files()
        assert orphans, "the kill should have left data files without a commit marker"
        # Reclaiming them (what the writer may do under the lock) changes no number.
        assert set(orphans) <= set(lake.sweep_abandoned())
        assert not lake.orphan_files() and not (home.lake / "_staging").exists() or not any(
            (home.lake / "_staging").iterdir())
        check_lake_consistent(home)
        assert read_totals(home) == before
    done = run_cli(root, "run")
    assert done.returncode == 0, done.stderr
    assert check_warehouse_consistent(home) == "built"
    check_lake_consistent(home)
    got = read_totals(home)
    assert got == clean
