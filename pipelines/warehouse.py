"""Build ``warehouse.duckdb`` from the lake and the price files, with the SQL in ``sql/``.

``sql/staging`` and ``sql/intermediate`` become temporary views of the build connection;
``sql/marts`` become tables (file stem = table name = Dagster asset name). The marts
``requests`` and ``daily_costs`` are partitioned by ``usage_date``: a build deletes and
re-inserts just the dates in scope, inside one transaction, so readers see the old or the new
state, never half of it. A build without dates takes the dates of lake files not built yet;
changed prices or SQL rebuild everything (history is re-priced against the current tables).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import db, pricing, schema
from pipelines.lake import INGEST_RUNS, QUARANTINE, REQUESTS, Lake
from pipelines.locking import writer_lock
from pipelines.paths import SQL_DIR, Home

LAYERS = ("staging", "intermediate")
PARTITIONED_MARTS = ("requests", "daily_costs")
FULL_MARTS = ("session_costs", "quarantine", "ingest_runs", "prices")
MARTS = PARTITIONED_MARTS + FULL_MARTS
STATE_TABLE = "_llmcost_state"
FULL_REQUESTED = "full build requested"
FIRST_BUILD = "first build"
CHANGED = "prices or SQL changed: re-pricing all history"
REBUILD_REASONS = {FULL_REQUESTED, FIRST_BUILD, CHANGED}
BUILT_RUNS_TABLE = "_llmcost_built_runs"

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    dates: list[date]
    full: bool
    row_counts: dict[str, int] = field(default_factory=dict)
    reason: str = ""


def sql_text(layer: str, name: str) -> str:
    return (SQL_DIR / layer / f"{name}.sql").read_text()


def _sql_names(layer: str) -> list[str]:
    return sorted(path.stem for path in (SQL_DIR / layer).glob("*.sql"))


def sql_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(SQL_DIR.rglob("*.sql")):
        digest.update(path.read_bytes())
    digest.update(json.dumps(schema.json_schema("requests"), sort_keys=True).encode())
    return digest.hexdigest()


def _sql_literal(text: str) -> str:
    """A SQL string literal. Only for table-function paths inside view DDL, which cannot take
    bound parameters; the paths are the data home's own."""
    return "'" + text.replace("'", "''") + "'"


_LAKE_GLOBS = {
    "lake_requests": (REQUESTS, "*/*/*.parquet", True),
    "lake_quarantine": (QUARANTINE, "*/*.parquet", False),
    "lake_ingest_runs": (INGEST_RUNS, "*.parquet", False),
}


def _bind_lake(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """Expose the lake to the SQL as temp views over committed files only: a run's files count
    once its ingest_runs marker exists. lake_requests is limited to the build's dates, which
    DuckDB prunes from the Hive path before opening any file."""
    committed = pa.table({"run_id": pa.array(sorted(lake.committed_runs()), pa.string())})
    con.register("committed_runs", committed)
    for view, (table, pattern, hive) in _LAKE_GLOBS.items():
        if not lake.files(table):
            con.register(view, schema.arrow_schema(table).empty_table())
            continue
        glob = _sql_literal(str(lake.table_dir(table) / pattern))
        date_filter = "AND usage_date IN (SELECT usage_date FROM build_dates)" if hive else ""
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {view}_files AS "
            f"SELECT * EXCLUDE (filename) FROM read_parquet({glob}, hive_partitioning = {hive}, "
            f"union_by_name = true, filename = true) "
            f"WHERE parse_filename(filename, true) IN (SELECT run_id FROM committed_runs) "
            f"{date_filter}"
        )
        # Files written before a column joined the canonical schema read it as NULL.
        present = {row[0] for row in con.execute(f"DESCRIBE {view}_files").fetchall()}
        select = ", ".join(
            f'"{name}"' if name in present else f'CAST(NULL AS {sql_type}) AS "{name}"'
            for name, sql_type in schema.duckdb_columns(table).items()
        )
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {select} FROM {view}_files")


def _define_views(con: duckdb.DuckDBPyConnection) -> None:
    for layer in LAYERS:
        for name in _sql_names(layer):
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql_text(layer, name)}")


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(f"CREATE TABLE IF NOT EXISTS {BUILT_RUNS_TABLE} "
                "(mart VARCHAR, run_id VARCHAR, PRIMARY KEY (mart, run_id))")
    return dict(con.execute(f"SELECT key, value FROM {STATE_TABLE}").fetchall())


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
        "AND table_schema = 'main'", [name]).fetchall()[0][0])


def build(home: Home, *, dates: Iterable[date] | None = None, full: bool = False,
          marts: Iterable[str] = MARTS, progress: Progress | None = None) -> BuildResult:
    """Build the marts; see the module docstring for what is rebuilt when."""
    home.ensure()
    with writer_lock(home.lock_file):
        con = db.connect(home.warehouse, temp_directory=home.root / ".duckdb_tmp")
        try:
            return _build(con, home, dates, full, set(marts), progress)
        finally:
            con.close()


def _plan(con, name: str, fingerprint: str, all_files: list, dates, full: bool,
          state: dict[str, str]) -> tuple[set[date], str]:
    """Which days a partitioned mart must rebuild, and why. Each mart keeps its own fingerprint
    (prices + SQL) and its own set of built ingest runs, so building one mart never hides a
    change from another."""
    built = {r for (r,) in con.execute(
        f"SELECT run_id FROM {BUILT_RUNS_TABLE} WHERE mart = ?", [name]).fetchall()}
    every_day = {f.usage_date for f in all_files}
    if full:
        return every_day, FULL_REQUESTED
    if not _table_exists(con, name):
        return every_day, FIRST_BUILD
    if state.get(f"fingerprint:{name}") != fingerprint:
        return every_day, CHANGED
    if dates is not None:
        return set(dates), "requested dates"
    new_days = {f.usage_date for f in all_files if f.run_id not in built}
    return new_days, "new lake partitions" if new_days else "nothing new"


def _set_build_dates(con, days: set[date]) -> None:
    con.register("build_dates_arrow",
                 pa.table({"usage_date": pa.array(sorted(days), pa.date32())}))
    con.execute("CREATE OR REPLACE TEMP TABLE build_dates AS SELECT * FROM build_dates_arrow")
    con.unregister("build_dates_arrow")


def _build(con, home: Home, dates, full: bool, marts: set[str], progress) -> BuildResult:
    lake = Lake(home.lake)
    book = pricing.load(home)
    con.register("pricing_rows", book.rows)
    con.register("pricing_aliases", book.aliases)
    state = _state(con)
    all_files = lake.files(REQUESTS)
    fingerprint = hashlib.sha256((book.fingerprint + sql_fingerprint()).encode()).hexdigest()
    plans = {
        name: _plan(con, name, fingerprint, all_files, dates, full, state)
        for name in PARTITIONED_MARTS if name in marts
    }
    _set_build_dates(con, set())
    _bind_lake(con, lake)
    _define_views(con)

    every_day = set().union(*(days for days, _ in plans.values())) if plans else set()
    reasons = sorted({reason for _, reason in plans.values()}) or ["unpartitioned marts"]
    result = BuildResult(sorted(every_day),
                         any(reason in REBUILD_REASONS for _, reason in plans.values()),
                         reason="; ".join(reasons))
    con.execute("BEGIN TRANSACTION")
    try:
        for name, (days, reason) in plans.items():
            if progress:
                progress(f"building {name} for {len(days)} day(s): {reason}")
            if reason in REBUILD_REASONS:
                con.execute(f"DROP TABLE IF EXISTS {name}")
            _set_build_dates(con, days)
            if not _table_exists(con, name):
                con.execute(
                    f"CREATE TABLE {name} AS SELECT * FROM ({sql_text('marts', name)}) LIMIT 0")
            con.execute(
                f"DELETE FROM {name} WHERE usage_date IN (SELECT usage_date FROM build_dates)")
            con.execute(f"INSERT INTO {name} SELECT * FROM ({sql_text('marts', name)})")
            con.execute(f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?)",
                        [f"fingerprint:{name}", fingerprint])
            runs = pa.table({"run_id": pa.array(
                sorted({f.run_id for f in all_files if f.usage_date in days}), pa.string())})
            con.register("new_runs", runs)
            con.execute(f"INSERT OR IGNORE INTO {BUILT_RUNS_TABLE} "
                        "SELECT ?, run_id FROM new_runs", [name])
            con.unregister("new_runs")
        for name in FULL_MARTS:
            if name not in marts:
                continue
            if progress:
                progress(f"building {name}")
            con.execute(
                f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM ({sql_text('marts', name)})")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    for name in marts:
        result.row_counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    return result


def open_read_only(home: Home) -> duckdb.DuckDBPyConnection:
    if not home.warehouse.exists():
        raise FileNotFoundError(
            f"no warehouse at {home.warehouse}: run `llmcost run` (or `llmcost build`) first"
        )
    con = duckdb.connect(str(home.warehouse), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def warehouse_path(home: Home) -> Path:
    return home.warehouse
