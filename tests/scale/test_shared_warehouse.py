"""The shared warehouse (DuckLake: catalog in PostgreSQL, Parquet on S3) on real engines.

What it protects: the scale-out mode must give the same marts as the embedded warehouse while
separate processes ingest and build at once, rebuild one day without touching the others, and
survive a writer killed mid-commit. Real services only: Debian's PostgreSQL started on a free
port under a temp dir (the DuckLake catalog and Dagster's run storage), moto's S3 server on
127.0.0.1, Dagster runs started with `dagster asset materialize` against that instance.
`make test-scale` runs this module inside a network namespace holding only the loopback
interface, so nothing can reach beyond 127.0.0.1 (test_no_network_beyond_loopback checks it).

Module-scoped and ordered: each test is one step of one scenario on one warehouse.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
import services

from pipelines import lakehouse
from pipelines.ingest import ingest_paths
from pipelines.paths import PROJECT_ROOT, Home
from pipelines.warehouse import MARTS, build

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import gen_litellm  # noqa: E402  (the benchmarks' SpendLogs generator)

BIN = Path(sys.executable).parent
# Columns that name the run or the moment, not the data: equal content, different values.
VOLATILE = {"run_id", "ingested_at", "quarantined_at", "built_at"}
FIRST_HALF = "2026-09-01...2026-09-15"
SECOND_HALF = "2026-09-16...2026-09-30"
REBUILT_DAY = date(2026, 9, 10)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("shared")
    with services.postgres() as pg, services.moto_s3(root, "lake") as endpoint:
        services.create_database(pg, "catalog")
        services.create_database(pg, "dagster")
        shared_env = {
            "LLMCOST_WAREHOUSE": (f"ducklake:postgres:dbname=catalog host=127.0.0.1 "
                                  f"port={pg['port']} user=postgres"),
            "LLMCOST_LAKE_URI": "s3://lake/llmcost/",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
        }
        dagster_home = root / "dagster_home"
        dagster_home.mkdir()
        (dagster_home / "dagster.yaml").write_text(_dagster_yaml(pg))
        # A fresh Postgres run storage is created once, as a deployment does (Helm's migrate
        # job): two runs starting at once on an empty database both create the schema, and
        # the loser fails ('type "secondary_indexes" already exists').
        subprocess.run([str(BIN / "dagster"), "instance", "migrate"], check=True,
                       env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
                       capture_output=True, timeout=300)
        files = _inputs(root / "inputs")
        yield {"root": root, "pg": pg, "env": shared_env, "files": files,
               "dagster_home": dagster_home,
               "shared_home": Home(root / "shared_home"), "embedded": Home(root / "embedded")}


def _dagster_yaml(pg: dict) -> str:
    return f"""
storage:
  postgres:
    postgres_db:
      username: postgres
      password: ""
      hostname: 127.0.0.1
      port: {pg["port"]}
      db_name: dagster
      params: {{}}
      scheme: postgresql+psycopg2
concurrency:
  runs:
    max_concurrent_runs: 4
telemetry:
  enabled: false
"""


def _inputs(folder: Path) -> list[Path]:
    """Three LiteLLM SpendLogs files over September 2026: two independent ones, and a third
    repeating 100 rows of the first (duplicates across files) plus one broken line."""
    folder.mkdir()
    first, second, third = folder / "a.jsonl", folder / "b.jsonl", folder / "c.jsonl"
    gen_litellm.write_jsonl(first, 1500, seed=11)
    gen_litellm.write_jsonl(second, 1500, seed=12)
    repeated = first.read_text().splitlines(keepends=True)[:100]
    third.write_text("".join(repeated) + '{"request_id": "broken", "spend": \n')
    return [first, second, third]


def _env(world, *, shared: bool = True) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("LLMCOST_WAREHOUSE", "LLMCOST_LAKE_URI")}
    env.update({"LLMCOST_KEY_SALT": "scale-test", "DAGSTER_HOME": str(world["dagster_home"]),
                "LLMCOST_HOME": str(world["shared_home"].root if shared
                                    else world["embedded"].root)})
    if shared:
        env.update(world["env"])
    return env


def _shared(world, monkeypatch) -> lakehouse.Config:
    for key, value in _env(world).items():
        monkeypatch.setenv(key, value)
    return lakehouse.configured()


def test_embedded_reference(world, monkeypatch):
    """The same files through the embedded warehouse: what the shared one must equal."""
    for key, value in _env(world, shared=False).items():
        monkeypatch.setenv(key, value)
    results = ingest_paths(world["files"], world["embedded"], source="litellm")
    assert [(r.status, r.records_loaded, r.records_duplicate, r.records_quarantined)
            for r in results] == [("loaded", 1500, 0, 0), ("loaded", 1500, 0, 0),
                                  ("loaded", 0, 100, 1)]
    build(world["embedded"])


def test_concurrent_ingest_processes(world, monkeypatch):
    """Two `llmcost ingest` processes at once, one file each, then the file repeating the
    first: its 100 rows are found in the shared lake and quarantined as duplicates."""
    env = _env(world)
    first, second, third = world["files"]
    procs = [subprocess.Popen([str(BIN / "llmcost"), "ingest", "--source", "litellm",
                               str(path)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for path in (first, second)]
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    late = subprocess.run([str(BIN / "llmcost"), "ingest", "--source", "litellm", str(third)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert late.returncode == 0, late.stdout + late.stderr
    con = lakehouse.connect(_shared(world, monkeypatch), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT run_id) FROM lake.requests"
                       ).fetchall() == [(3000, 2)]
    assert con.execute("SELECT records_loaded, records_duplicate, records_quarantined "
                       "FROM lake.ingest_runs ORDER BY source_file").fetchall() == [
        (1500, 0, 0), (1500, 0, 0), (0, 100, 1)]
    assert con.execute("SELECT reason_code, count(*) FROM lake.quarantine GROUP BY 1 "
                       "ORDER BY 1").fetchall() == [("duplicate", 100), ("malformed_json", 1)]


def _materialize(world, selection: str, partition_range: str | None) -> subprocess.Popen:
    args = [str(BIN / "dagster"), "asset", "materialize", "-m", "pipelines.definitions",
            "--select", selection]
    if partition_range:
        args += ["--partition-range", partition_range]
    return subprocess.Popen(args, env=_env(world), cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_two_concurrent_dagster_runs_build_separate_days(world, monkeypatch):
    """Two Dagster runs at once, each building half of September (the day-partitioned marts),
    then one run for the marts over all days. Both day runs are recorded in the Postgres run
    storage, and their execution overlapped."""
    runs = [_materialize(world, "requests,daily_costs", days)
            for days in (FIRST_HALF, SECOND_HALF)]
    outputs = [run.communicate(timeout=900)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(o[-3000:] for o in outputs)
    rest = ",".join(name for name in MARTS if name not in ("requests", "daily_costs"))
    final = _materialize(world, rest, None)
    output = final.communicate(timeout=900)[0]
    assert final.returncode == 0, output[-3000:]

    import psycopg2

    pg = world["pg"]
    with psycopg2.connect(host=pg["host"], port=pg["port"], user="postgres",
                          dbname="dagster") as db:
        rows = db.cursor()
        rows.execute("SELECT status, start_time, end_time, run_body FROM runs "
                     "ORDER BY create_timestamp")
        records = rows.fetchall()
    assert [status for status, *_ in records] == ["SUCCESS"] * 3
    (_, start_a, end_a, _), (_, start_b, end_b, _) = records[:2]
    assert start_a < end_b and start_b < end_a, "the two day runs did not overlap"
    # Each run built its own days only: every day of both day-partitioned marts was built
    # exactly once (a retried or overreaching run would have built some twice).
    con = lakehouse.connect(_shared(world, monkeypatch), read_only=True)
    assert con.execute("SELECT mart, count(*), count(DISTINCT usage_date), min(usage_date), "
                       "max(usage_date) FROM _llmcost_built_days GROUP BY mart ORDER BY mart"
                       ).fetchall() == [
        ("daily_costs", 30, 30, date(2026, 9, 1), date(2026, 9, 30)),
        ("requests", 30, 30, date(2026, 9, 1), date(2026, 9, 30))]


def _compare(con: duckdb.DuckDBPyConnection, mart: str) -> None:
    columns = con.execute(f"DESCRIBE llmcost.main.{mart}").fetchall()
    # A DOUBLE sum depends on the order it adds in (and the two builds split days
    # differently): equal to 1e-9 is equal. DECIMAL costs and counts compare exactly.
    kept = ", ".join(f'round("{c}", 9)' if kind in ("DOUBLE", "FLOAT") else f'"{c}"'
                     for c, kind, *_ in columns if c not in VOLATILE)
    counts = con.execute(f"SELECT (SELECT count(*) FROM emb.main.{mart}), "
                         f"(SELECT count(*) FROM llmcost.main.{mart})").fetchall()[0]
    assert counts[0] == counts[1], (mart, counts)
    for left, right in (("emb", "llmcost"), ("llmcost", "emb")):
        extra = con.execute(f"SELECT * FROM (SELECT {kept} FROM {left}.main.{mart} "
                            f"EXCEPT ALL SELECT {kept} FROM {right}.main.{mart}) LIMIT 3"
                            ).fetchall()
        assert not extra, f"{mart}: rows of {left} not in {right}: {extra}"
    numeric = [c for c, kind, *_ in columns
               if kind.startswith(("DECIMAL", "DOUBLE", "BIGINT", "INTEGER", "HUGEINT"))]
    for column in numeric:
        a, b = con.execute(f'SELECT (SELECT sum("{column}") FROM emb.main.{mart}), '
                           f'(SELECT sum("{column}") FROM llmcost.main.{mart})').fetchall()[0]
        # Exact for DECIMAL costs and counts; a DOUBLE sum depends on the order it adds in.
        assert (a is None and b is None) or abs(float(a) - float(b)) <= 1e-9 * max(
            1.0, abs(float(a))), (mart, column, a, b)


def test_every_mart_equals_the_embedded_build(world, monkeypatch):
    con = lakehouse.connect(_shared(world, monkeypatch), read_only=True)
    embedded = str(world["embedded"].warehouse).replace("'", "''")
    con.execute(f"ATTACH '{embedded}' AS emb (READ_ONLY)")  # ATTACH takes no parameters
    for mart in MARTS:
        _compare(con, mart)
    requests, cost = con.execute("SELECT count(*), sum(cost_usd) FROM requests").fetchall()[0]
    assert requests == 3000
    embedded_cost = con.execute("SELECT sum(cost_usd) FROM emb.main.requests").fetchall()[0][0]
    assert cost == embedded_cost and cost > 0
    # The data files are on the object store, not on local disk.
    files = con.execute("SELECT data_file FROM ducklake_list_files('llmcost', 'requests')"
                        ).fetchall()
    assert files and all(f.startswith("s3://lake/llmcost/") for (f,) in files)


def test_analysts_read_the_shared_warehouse_from_the_cli(world):
    """`llmcost sql` (sandboxed: reads the lake's data path and nothing else) and `llmcost
    report` work on the shared warehouse unchanged."""
    env = _env(world)
    query = subprocess.run([str(BIN / "llmcost"), "sql", "--format", "csv",
                            "select count(*) as n from requests"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert query.returncode == 0, query.stderr
    assert query.stdout.split() == ["n", "3000"]
    blocked = subprocess.run([str(BIN / "llmcost"), "sql",
                              "select * from read_csv('/etc/passwd')"],
                             env=env, capture_output=True, text=True, timeout=300)
    assert blocked.returncode != 0 and "disabled by configuration" in blocked.stderr
    report = subprocess.run([str(BIN / "llmcost"), "report"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert report.returncode == 0, report.stderr


def _override_gpt4o(home: Home) -> None:
    home.pricing.mkdir(parents=True, exist_ok=True)
    header = (PROJECT_ROOT / "pricing" / "prices.csv").read_text().splitlines()[0]
    (home.pricing / "overrides.csv").write_text(
        header + "\n"
        "override/gpt-4o,openai,gpt-4o,standard,0,2026-01-01,,5,2.5,5,5,20,0.01,,test: doubled\n")


def test_rebuilding_one_day_changes_only_that_day(world, monkeypatch):
    """A price change, then a build of one day: that day is re-priced, every other row of
    every day is the same as in the snapshot before."""
    config = _shared(world, monkeypatch)
    con = lakehouse.connect(config, read_only=True)
    before = con.execute("SELECT max(snapshot_id) FROM ducklake_snapshots('llmcost')"
                         ).fetchall()[0][0]
    _override_gpt4o(world["shared_home"])
    result = build(world["shared_home"], dates=[REBUILT_DAY], marts=("requests",))
    assert result.dates == [REBUILT_DAY]
    con = lakehouse.connect(config, read_only=True)
    latest = con.execute("SELECT max(snapshot_id) FROM ducklake_snapshots('llmcost')"
                         ).fetchall()[0][0]
    changed_days = con.execute(
        f"SELECT DISTINCT usage_date FROM ducklake_table_changes('llmcost', 'main', "
        f"'requests', {int(before) + 1}, {int(latest)})").fetchall()
    assert changed_days == [(REBUILT_DAY,)]
    other_days_same = con.execute(
        f"SELECT count(*) FROM (SELECT request_id, cost_usd FROM requests "
        f"AT (VERSION => {int(before)}) WHERE usage_date <> ? "
        "EXCEPT SELECT request_id, cost_usd FROM requests WHERE usage_date <> ?)",
        [REBUILT_DAY, REBUILT_DAY]).fetchall()[0][0]
    assert other_days_same == 0
    repriced = con.execute(
        f"SELECT count(*) FROM requests AS now JOIN (SELECT * FROM requests AT (VERSION => "
        f"{int(before)})) AS was USING (request_id) "
        "WHERE now.usage_date = ? AND now.model = 'gpt-4o' AND now.cost_usd > was.cost_usd",
        [REBUILT_DAY]).fetchall()[0][0]
    assert repriced > 0


def _waiting_on_lock(pg: dict) -> bool:
    import psycopg2

    with psycopg2.connect(host=pg["host"], port=pg["port"], user="postgres",
                          dbname="catalog") as db:
        cursor = db.cursor()
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'catalog' "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def test_a_run_killed_mid_commit_leaves_the_previous_snapshot(world, monkeypatch):
    """A full re-price killed by SIGKILL in the middle of its catalog commit: the test holds a
    lock on DuckLake's snapshot table, so the writer's commit transaction is open in Postgres
    and blocked when it is killed. Readers still see the snapshot before, whole; the next
    build completes."""
    import psycopg2

    config = _shared(world, monkeypatch)
    con = lakehouse.connect(config, read_only=True)
    before = con.execute("SELECT max(snapshot_id) FROM ducklake_snapshots('llmcost')"
                         ).fetchall()[0][0]
    totals = con.execute("SELECT count(*), sum(cost_usd) FROM requests").fetchall()
    con.close()
    (world["shared_home"].pricing / "overrides.csv").unlink()  # the re-price changes costs
    pg = world["pg"]
    holder = psycopg2.connect(host=pg["host"], port=pg["port"], user="postgres",
                              dbname="catalog")
    holder.cursor().execute("LOCK TABLE ducklake_snapshot IN EXCLUSIVE MODE")  # reads pass
    script = ("from pipelines.paths import Home; from pipelines.warehouse import build; "
              "build(Home.from_env(), full=True, marts=('requests',), "
              "progress=lambda m: print(m, flush=True))")
    writer = subprocess.Popen([sys.executable, "-c", script], env=_env(world),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen = []
        for line in writer.stdout:
            seen.append(line)
            if "committing" in line:
                break
        deadline = time.monotonic() + 120
        while not _waiting_on_lock(pg) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _waiting_on_lock(pg), "the writer never reached its catalog commit:\n" + (
            "".join(seen))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
    finally:
        holder.rollback()
        holder.close()
    assert writer.returncode == -signal.SIGKILL
    con = lakehouse.connect(config, read_only=True)
    assert con.execute("SELECT max(snapshot_id) FROM ducklake_snapshots('llmcost')"
                       ).fetchall()[0][0] == before
    assert con.execute("SELECT count(*), sum(cost_usd) FROM requests").fetchall() == totals
    con.close()
    result = build(world["shared_home"], full=True, marts=("requests",))
    assert result.row_counts["requests"] == 3000
    con = lakehouse.connect(config, read_only=True)
    embedded = world["embedded"].warehouse
    con.execute(f"ATTACH '{embedded}' AS emb (READ_ONLY)")
    # Without the override, the re-priced history equals the embedded build again.
    assert con.execute("SELECT sum(cost_usd) FROM requests").fetchall() == con.execute(
        "SELECT sum(cost_usd) FROM emb.main.requests").fetchall()
    assert totals[0][1] > con.execute("SELECT sum(cost_usd) FROM requests").fetchall()[0][0]


def test_a_catalog_from_an_older_release_gains_new_columns(world, monkeypatch, tmp_path):
    """A shared lake created before a canonical column existed (ingest_runs.usage_dates, the
    days of a run) gains it when a writer connects; earlier runs read it as NULL, and a new
    run fills it."""
    config = _shared(world, monkeypatch)
    con = lakehouse.connect(config)
    con.execute(f"ALTER TABLE {lakehouse.CATALOG}.{lakehouse.LAKE_SCHEMA}.ingest_runs "
                "DROP COLUMN usage_dates")
    con.close()
    con = lakehouse.connect(config)  # a writer: ensure_lake_tables adds what is missing
    assert con.execute(
        f"SELECT count(*), count(usage_dates) FROM {lakehouse.CATALOG}."
        f"{lakehouse.LAKE_SCHEMA}.ingest_runs").fetchall() == [(3, 0)]
    con.close()
    path = tmp_path / "late.jsonl"
    gen_litellm.write_jsonl(path, 20, seed=99)
    (result,) = ingest_paths([path], world["shared_home"], source="litellm")
    assert (result.status, result.records_loaded) == ("loaded", 20)
    con = lakehouse.connect(config, read_only=True)
    [(days,)] = con.execute(
        f"SELECT usage_dates FROM {lakehouse.CATALOG}.{lakehouse.LAKE_SCHEMA}.ingest_runs "
        "WHERE usage_dates IS NOT NULL").fetchall()
    assert days == sorted({date.fromisoformat(d) for d in result.usage_dates})
    con.close()


def test_no_network_beyond_loopback():
    if os.environ.get("LLMCOST_SCALE_NETNS") != "1":
        pytest.skip("not started by `make test-scale` inside a loopback-only network namespace")
    # /proc/self/net/dev lists the interfaces of this process's network namespace (/sys is
    # the host's mount).
    interfaces = [line.split(":")[0].strip()
                  for line in Path("/proc/self/net/dev").read_text().splitlines()[2:]]
    assert interfaces == ["lo"]
    with pytest.raises(OSError):
        import socket

        socket.create_connection(("1.1.1.1", 443), timeout=2)
