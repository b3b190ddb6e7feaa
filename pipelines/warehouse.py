"""Build ``warehouse.duckdb`` from the lake and the price files, with the SQL in ``sql/``.

``sql/staging`` and ``sql/intermediate`` become temporary views of the build connection;
``sql/marts`` become tables (file stem = table name = Dagster asset name). The marts
``requests`` and ``daily_costs`` are partitioned by ``usage_date``: a build deletes and
re-inserts just the dates in scope, inside one transaction, so readers see the old or the new
state, never half of it. A build without dates takes the dates of lake files not built yet;
changed prices or SQL rebuild everything (history is re-priced against the current tables).
"""

from __future__ import annotations

import graphlib
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial

import duckdb
import pyarrow as pa

from pipelines import attribution, db, lakehouse, pricing, reconcile, schema
from pipelines.lake import INGEST_RUNS, QUARANTINE, REQUESTS, USAGE_BUCKETS, Lake
from pipelines.locking import writer_lock
from pipelines.paths import SQL_DIR, Home
from pipelines.progress import advance

LAYERS = ("staging", "intermediate")
# Build order. Partitioned marts rebuild the days whose lake files (of the listed tables) are
# new; the others are rebuilt whole from the marts before them.
PARTITIONED_MARTS = {"requests": (REQUESTS,), "daily_costs": (REQUESTS, USAGE_BUCKETS)}
MARTS = ("requests", "usage_buckets", "daily_costs", "session_costs", "cost_coverage",
         "quarantine", "ingest_runs", "prices", "reconciliation", "unpriced_models")
FULL_MARTS = tuple(name for name in MARTS if name not in PARTITIONED_MARTS)
# Marts whose SQL reads other marts: a missing upstream table is built first.
UPSTREAM_MARTS = {"daily_costs": ("requests", "usage_buckets"),
                  "session_costs": ("requests",),
                  "cost_coverage": ("requests", "usage_buckets"),
                  "reconciliation": ("requests", "usage_buckets", "prices"),
                  "unpriced_models": ("requests", "usage_buckets")}
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


_LAKE_GLOBS = {
    "lake_requests": (REQUESTS, "*/*.parquet", True),
    "lake_usage_buckets": (USAGE_BUCKETS, "*/*.parquet", None),
    "lake_quarantine": (QUARANTINE, "*/*.parquet", False),
    "lake_ingest_runs": (INGEST_RUNS, "*.parquet", False),
}
# Day tables of lakes written before one file per run: source=<s>/usage_date=<day>/<run>.parquet.
_DAY_FOLDER_GLOB = "*/*/*.parquet"


def _bind_lake(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """Expose the lake to the SQL as temp views over committed files only: a run's files count
    once its ingest_runs marker exists. lake_requests is limited to the build's dates: a run
    file's row groups outside them are skipped by their usage_date statistics (a file of the
    older day-folder layout, by its path)."""
    committed = pa.table({"run_id": pa.array(sorted(lake.committed_runs()), pa.string())})
    con.register("committed_runs", committed)
    for view, (table, pattern, by_day) in _LAKE_GLOBS.items():
        files = lake.files(table)
        if not files:
            con.register(view, schema.arrow_schema(table).empty_table())
            continue
        # by_day: True = limited to the build's dates, None = a day table read whole.
        date_filter = "AND usage_date IN (SELECT usage_date FROM build_dates)" if by_day else ""
        reads = []
        for glob, present in ((pattern, any(not f.day_folder for f in files)),
                              (_DAY_FOLDER_GLOB, any(f.day_folder for f in files))):
            if present:
                reads.append(
                    f"SELECT * EXCLUDE (filename) FROM read_parquet("
                    f"{db.sql_literal(str(lake.table_dir(table) / glob))}, "
                    f"hive_partitioning = {by_day is not False}, "
                    f"union_by_name = true, filename = true) "
                    f"WHERE parse_filename(filename, true) IN (SELECT run_id FROM committed_runs) "
                    f"{date_filter}")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view}_files AS "
                    + " UNION ALL BY NAME ".join(reads))
        # Files written before a column joined the canonical schema read it as NULL.
        present = {row[0] for row in con.execute(f"DESCRIBE {view}_files").fetchall()}
        select = ", ".join(
            f'"{name}"' if name in present else f'CAST(NULL AS {sql_type}) AS "{name}"'
            for name, sql_type in schema.duckdb_columns(table).items()
        )
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {select} FROM {view}_files")


def _define_views(con: duckdb.DuckDBPyConnection) -> None:
    """staging/ and intermediate/ as temp views, each after the views its SQL names (a view
    binds its references when it is created)."""
    texts = {name: sql_text(layer, name) for layer in LAYERS for name in _sql_names(layer)}
    uses = {name: {other for other in texts
                   if other != name and re.search(rf"\b{other}\b", text)}
            for name, text in texts.items()}
    for name in graphlib.TopologicalSorter(uses).static_order():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {texts[name]}")


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
    """Build the marts; see the module docstring for what is rebuilt when. With a shared
    warehouse configured (pipelines.lakehouse), the marts are built there instead."""
    home.ensure()
    if (shared := lakehouse.configured()) is not None:
        from pipelines import lakehouse_build

        return lakehouse_build.build(home, shared, dates=dates, full=full, marts=marts,
                                     progress=progress)
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
    every_day = set().union(*(f.usage_dates for f in all_files))
    if full:
        return every_day, FULL_REQUESTED
    if not _table_exists(con, name):
        return every_day, FIRST_BUILD
    if state.get(f"fingerprint:{name}") != fingerprint:
        return every_day, CHANGED
    if dates is not None:
        return set(dates), "requested dates"
    new_days = set().union(*(f.usage_dates for f in all_files if f.run_id not in built))
    return new_days, "new lake partitions" if new_days else "nothing new"


def _set_build_dates(con, days: set[date]) -> None:
    con.register("build_dates_arrow",
                 pa.table({"usage_date": pa.array(sorted(days), pa.date32())}))
    con.execute("CREATE OR REPLACE TEMP TABLE build_dates AS SELECT * FROM build_dates_arrow")
    con.unregister("build_dates_arrow")


def register_inputs(con: duckdb.DuckDBPyConnection, home: Home) -> str:
    """Register the price rows, attribution rules and reconciliation settings the SQL reads;
    returns the fingerprint of those inputs and of the SQL (a change re-prices history)."""
    book = pricing.load(home)
    rules = attribution.load(home)
    con.register("pricing_rows", book.rows)
    con.register("pricing_aliases", book.aliases)
    con.register("attribution_rule_rows", rules.table)
    con.register("reconcile_settings", reconcile.load_settings(home.root).table())
    return hashlib.sha256(
        (book.fingerprint + rules.fingerprint + sql_fingerprint()).encode()).hexdigest()


def _build(con, home: Home, dates, full: bool, marts: set[str], progress) -> BuildResult:
    lake = Lake(home.lake)
    fingerprint = register_inputs(con, home)
    state = _state(con)
    marts = marts | {upstream for name in marts for upstream in UPSTREAM_MARTS.get(name, ())
                     if not _table_exists(con, upstream)}
    lake_files = {name: [f for table in tables for f in lake.files(table)]
                  for name, tables in PARTITIONED_MARTS.items()}
    plans = {
        name: _plan(con, name, fingerprint, lake_files[name], dates, full, state)
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
    build_marts(con, marts, every_day, progress, {
        name: partial(_build_partitioned, con, name, *plan, lake_files[name], fingerprint,
                      progress)
        for name, plan in plans.items()})
    for name in marts:
        result.row_counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    return result


def build_marts(con: duckdb.DuckDBPyConnection, marts: set[str], every_day: set[date],
                progress: Progress | None, day_builders: dict[str, Callable[[], None]]) -> None:
    """Build `marts` in MARTS order in one transaction: a day-partitioned mart by its entry in
    `day_builders`, the others replaced whole. Readers see the state before or after, never
    between."""
    con.execute("BEGIN TRANSACTION")
    try:
        todo = [name for name in MARTS if name in marts]
        for done, name in enumerate(todo, start=1):
            if name in day_builders:
                day_builders[name]()
            else:
                if progress:
                    progress(f"building {name}")
                con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM "
                            f"({sql_text('marts', name)})")
            advance(progress, "build", done, len(todo), unit="marts",
                    status=f"{name} ({len(every_day)} days)")
        if progress:
            progress("committing")
        con.execute("COMMIT")
    except BaseException:
        lakehouse.rollback(con)
        raise


def _build_partitioned(con, name: str, days: set[date], reason: str, files: list,
                       fingerprint: str, progress) -> None:
    """Delete and re-insert the mart's rows for `days`; remember the fingerprint and the ingest
    runs now built, so the next build knows what is new."""
    if progress:
        progress(f"building {name} for {len(days)} day(s): {reason}")
    if reason in REBUILD_REASONS:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    _set_build_dates(con, days)
    if not _table_exists(con, name):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM ({sql_text('marts', name)}) LIMIT 0")
    con.execute(f"DELETE FROM {name} WHERE usage_date IN (SELECT usage_date FROM build_dates)")
    con.execute(f"INSERT INTO {name} SELECT * FROM ({sql_text('marts', name)})")
    con.execute(f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?)",
                [f"fingerprint:{name}", fingerprint])
    runs = pa.table({"run_id": pa.array(
        sorted({f.run_id for f in files if f.usage_dates & days}), pa.string())})
    con.register("new_runs", runs)
    con.execute(f"INSERT OR IGNORE INTO {BUILT_RUNS_TABLE} SELECT ?, run_id FROM new_runs",
                [name])
    con.unregister("new_runs")


@contextmanager
def open_for_write(home: Home) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that writes tables next to the marts (the savings and budget steps): the
    embedded warehouse under the writer lock, or the shared warehouse (no lock: each step
    replaces its tables in one DuckLake transaction)."""
    if (shared := lakehouse.configured()) is not None:
        con = lakehouse.connect(shared, temp_directory=home.root / ".duckdb_tmp")
        try:
            yield con
        finally:
            con.close()
        return
    with writer_lock(home.lock_file):
        con = db.connect(home.warehouse, temp_directory=home.root / ".duckdb_tmp")
        try:
            yield con
        finally:
            con.close()


def has_mart(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the warehouse `con` writes to (embedded or shared) holds the mart `name`."""
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
        "AND table_schema = 'main' AND table_catalog = current_database()",
        [name]).fetchall()[0][0])


def open_read_only(home: Home, *, sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only. With ``sandbox``, DuckDB's external access is off and its
    configuration locked: the connection reads the warehouse and nothing else, writes nowhere,
    attaches nothing, loads no extension and cannot change those settings back (for SQL typed
    by someone else: a shared server, a notebook service, a bot)."""
    if (shared := lakehouse.configured()) is not None:
        return lakehouse.open_read_only(shared, sandbox=sandbox)
    if not home.warehouse.exists():
        raise FileNotFoundError(
            f"no warehouse at {home.warehouse}: run `llmcost run` (or `llmcost build`) first"
        )
    con = duckdb.connect(str(home.warehouse), read_only=True,
                         config={"autoinstall_known_extensions": False,
                                 "allow_community_extensions": False} if sandbox else {})
    con.execute("SET TimeZone = 'UTC'")
    if sandbox:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con
