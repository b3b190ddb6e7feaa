"""Build the marts in the shared warehouse (pipelines.lakehouse), one set of days per run.

The same SQL as the embedded build (``sql/staging``, ``sql/intermediate`` as temp views,
``sql/marts`` as tables), with the lake read from the catalog's ``lake`` schema. What differs
is how work is split so that many runs can write at once:

- ``requests`` and ``daily_costs`` are DuckLake tables partitioned by ``usage_date``: a run
  deletes and re-inserts the rows of its days only, so runs for different days touch different
  data files and commit concurrently (DuckLake retries a commit that lost the race when the
  two changes do not conflict; two runs rebuilding the *same* day do conflict, and the later
  one fails with DuckLake's error instead of overwriting silently).
- What a build without dates rebuilds is decided per day: the days with ingest runs this mart
  has not built, and the days last built with other prices or SQL (``_llmcost_built_days``).
  A re-price of history is therefore a partitioned backfill (one run per day or range, in
  parallel), never one statement over all of history.
- The other marts aggregate over all days and are rebuilt whole (``CREATE OR REPLACE``); run
  them after the day runs (in Dagster they are downstream of the partitioned assets).

Each run commits once: readers see the previous snapshot until then, and a run killed before
its commit leaves only unreferenced files (removed by DuckLake's cleanup functions).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from datetime import date
from functools import partial

import duckdb

from pipelines import lakehouse, schema
from pipelines.paths import Home
from pipelines.warehouse import (
    FIRST_BUILD,
    FULL_REQUESTED,
    MARTS,
    PARTITIONED_MARTS,
    UPSTREAM_MARTS,
    BuildResult,
    Progress,
    _define_views,
    _set_build_dates,
    build_marts,
    register_inputs,
    sql_text,
)

BUILT_DAYS = "_llmcost_built_days"
COMMIT_ATTEMPTS = 4
BUILT_RUNS = "_llmcost_built_runs"
SCHEMA_CHANGED = "mart columns changed: rebuilding all days"
STALE = "new ingest runs, or days built with other prices or SQL"
# The lake views the SQL reads; lake_requests is limited to the build's days.
_LAKE_VIEWS = {"lake_requests": ("requests", True),
               "lake_usage_buckets": ("usage_buckets", False),
               "lake_quarantine": ("quarantine", False),
               "lake_ingest_runs": ("ingest_runs", False)}


def build(home: Home, config: lakehouse.Config, *, dates: Iterable[date] | None = None,
          full: bool = False, marts: Iterable[str] = MARTS,
          progress: Progress | None = None) -> BuildResult:
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        con = lakehouse.connect(config, temp_directory=home.root / ".duckdb_tmp")
        try:
            return _build(con, home, None if dates is None else set(dates), full, set(marts),
                          progress)
        except duckdb.TransactionException as exc:
            # A conflict DuckLake could not settle itself: another run rebuilt the same day, or
            # created the same mart first. Plan again on the newer snapshot.
            if attempt == COMMIT_ATTEMPTS:
                raise
            if progress:
                progress(f"commit conflict ({exc}); retrying on the newer snapshot")
            time.sleep(random.uniform(0.5, 2.0) * attempt)
        finally:
            con.close()
    raise AssertionError("unreachable")


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return lakehouse.table_exists(con, "main", name)


def _bind_lake(con: duckdb.DuckDBPyConnection) -> None:
    for view, (table, by_day) in _LAKE_VIEWS.items():
        select = ", ".join(f'"{name}"' for name in schema.duckdb_columns(table))
        where = " WHERE usage_date IN (SELECT usage_date FROM build_dates)" if by_day else ""
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {select} FROM "
                    f"{lakehouse.CATALOG}.{lakehouse.LAKE_SCHEMA}.{table}{where}")


def _state_tables(con: duckdb.DuckDBPyConnection) -> None:
    lakehouse.create_once(con, "main", BUILT_DAYS, [
        f"CREATE TABLE IF NOT EXISTS {BUILT_DAYS} (mart VARCHAR, usage_date DATE, "
        "fingerprint VARCHAR, built_at TIMESTAMPTZ)"])
    lakehouse.create_once(con, "main", BUILT_RUNS, [
        f"CREATE TABLE IF NOT EXISTS {BUILT_RUNS} (mart VARCHAR, run_id VARCHAR)"])


def _lake_days(name: str) -> str:
    """SQL: the days and ingest runs in the lake tables a partitioned mart reads."""
    return " UNION ".join(
        f"SELECT DISTINCT usage_date, run_id FROM {lakehouse.CATALOG}.{lakehouse.LAKE_SCHEMA}."
        f"{table}" for table in PARTITIONED_MARTS[name])


def _plan(con, name: str, fingerprint: str, dates: set[date] | None,
          full: bool) -> tuple[set[date], str]:
    every_day = {d for (d,) in con.execute(
        f"SELECT DISTINCT usage_date FROM ({_lake_days(name)})").fetchall()}
    if full:
        return every_day, FULL_REQUESTED
    if _exists(con, name):
        wanted = con.execute(f"DESCRIBE SELECT * FROM ({sql_text('marts', name)})").fetchall()
        present = con.execute(f"DESCRIBE {name}").fetchall()
        if [row[:2] for row in wanted] != [row[:2] for row in present]:
            return every_day, SCHEMA_CHANGED
    # Unlike the embedded build, a first build with dates builds just those dates: the other
    # days are other workers' runs.
    if dates is not None:
        return dates, "requested dates"
    if not _exists(con, name):
        return every_day, FIRST_BUILD
    stale = {d for (d,) in con.execute(f"""
        WITH lake AS ({_lake_days(name)}),
        latest AS (
            SELECT usage_date, arg_max(fingerprint, built_at) AS fingerprint
            FROM {BUILT_DAYS} WHERE mart = ? GROUP BY usage_date
        )
        SELECT DISTINCT usage_date FROM lake
        WHERE run_id NOT IN (SELECT run_id FROM {BUILT_RUNS} WHERE mart = ?)
           OR usage_date NOT IN (SELECT usage_date FROM latest WHERE fingerprint = ?)
        """, [name, name, fingerprint]).fetchall()}
    return stale, STALE if stale else "nothing new"


def _build(con, home: Home, dates, full: bool, marts: set[str], progress) -> BuildResult:
    fingerprint = register_inputs(con, home)
    _state_tables(con)
    marts = marts | {upstream for name in marts for upstream in UPSTREAM_MARTS.get(name, ())
                     if not _exists(con, upstream)}
    _set_build_dates(con, set())
    _bind_lake(con)
    _define_views(con)
    plans = {name: _plan(con, name, fingerprint, dates, full)
             for name in PARTITIONED_MARTS if name in marts}
    every_day = set().union(*(days for days, _ in plans.values())) if plans else set()
    result = BuildResult(sorted(every_day),
                         any(reason in (FULL_REQUESTED, FIRST_BUILD, SCHEMA_CHANGED)
                             for _, reason in plans.values()),
                         reason="; ".join(sorted({r for _, r in plans.values()}))
                         or "unpartitioned marts")
    build_marts(con, marts, every_day, progress, {
        name: partial(_build_days, con, name, *plan, fingerprint, progress)
        for name, plan in plans.items()})
    for name in marts:
        result.row_counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    return result


def _build_days(con, name: str, days: set[date], reason: str, fingerprint: str,
                progress) -> None:
    if progress:
        progress(f"building {name} for {len(days)} day(s): {reason}")
    if reason == SCHEMA_CHANGED:
        con.execute(f"DROP TABLE {name}")
    if not _exists(con, name):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM ({sql_text('marts', name)}) LIMIT 0")
        con.execute(f"ALTER TABLE {name} SET PARTITIONED BY (usage_date)")
    if not days:
        return
    _set_build_dates(con, days)
    con.execute(f"DELETE FROM {name} WHERE usage_date IN (SELECT usage_date FROM build_dates)")
    con.execute(f"INSERT INTO {name} SELECT * FROM ({sql_text('marts', name)})")
    con.execute(f"INSERT INTO {BUILT_DAYS} SELECT ?, usage_date, ?, now() FROM build_dates",
                [name, fingerprint])
    con.execute(
        f"INSERT INTO {BUILT_RUNS} SELECT DISTINCT ?, run_id FROM ({_lake_days(name)}) "
        "WHERE usage_date IN (SELECT usage_date FROM build_dates)", [name])
