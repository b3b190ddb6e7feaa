"""The lake: Hive-partitioned Parquet under ``$LLMCOST_HOME/lake`` with a commit protocol.

Layout (every data file is named after the ingest run that wrote it)::

    lake/requests/source=<source>/<run_id>.parquet      (usage_buckets alike)
    lake/quarantine/source=<source>/<run_id>.parquet
    lake/prompt_embeddings/source=<source>/<run_id>.parquet
    lake/ingest_runs/<run_id>.parquet          <- the commit marker, written last

A run writes one ``requests`` file (rows in the order read within each block a DuckDB thread
wrote, the blocks in any order; every row carries its ``source_line``), with
``usage_date`` as a column; its marker lists those dates (``usage_dates``), which is how a
build finds the days a run touched without opening its data. (Lakes written before that kept
one file per day, ``source=<source>/usage_date=<YYYY-MM-DD>/<run_id>.parquet``, and markers
without ``usage_dates``: both are still read. Writing per-day folders cost DuckDB's partitioned
writer twice the CPU of one file - a quarter of an ingest, bench/README.md.)

A run's data files are moved into place first and its ``ingest_runs`` file last (each move is
an atomic rename), so a crash leaves either a committed run or orphan files that readers skip:
readers only see files whose run id has a commit marker.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

REQUESTS = "requests"
USAGE_BUCKETS = "usage_buckets"
QUARANTINE = "quarantine"
PROMPT_EMBEDDINGS = "prompt_embeddings"
INGEST_RUNS = "ingest_runs"
STAGING = "_staging"
# Tables whose rows have a usage_date (the days builds are planned by).
DAY_TABLES = (REQUESTS, USAGE_BUCKETS)

_DATE_DIR = re.compile(r"usage_date=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class LakeFile:
    path: Path
    run_id: str
    usage_dates: frozenset[date]  # the days of its rows (empty for tables without days)
    day_folder: bool = False  # the older layout: usage_date is in the path, not in the file


class Lake:
    def __init__(self, root: Path):
        self.root = root
        # Run id -> the days its marker lists. Markers are written once and never change, so
        # each is read once per Lake (an ingest of many files asks again for every file).
        self._run_days: dict[str, frozenset[date]] = {}

    def table_dir(self, table: str) -> Path:
        return self.root / table

    def staging_dir(self, run_id: str) -> Path:
        return self.root / STAGING / run_id

    def committed_runs(self) -> set[str]:
        runs_dir = self.table_dir(INGEST_RUNS)
        if not runs_dir.exists():
            return set()
        return {path.stem for path in runs_dir.glob("*.parquet")}

    def files(self, table: str, *, committed_only: bool = True) -> list[LakeFile]:
        table_dir = self.table_dir(table)
        if not table_dir.exists():
            return []
        committed = self.committed_runs() if committed_only else None
        paths = [path for path in sorted(table_dir.rglob("*.parquet"))
                 if committed is None or path.stem in committed]
        run_days = self.run_days() if table in DAY_TABLES and paths else {}
        found = []
        for path in paths:
            match = _DATE_DIR.search(path.parent.name)
            if match:
                found.append(LakeFile(path, path.stem,
                                      frozenset({date.fromisoformat(match.group(1))}), True))
            else:
                found.append(LakeFile(path, path.stem, run_days.get(path.stem, frozenset())))
        return found

    def run_days(self) -> dict[str, frozenset[date]]:
        """Run id -> the usage dates its marker lists (markers of older lakes list none)."""
        markers = sorted(self.table_dir(INGEST_RUNS).glob("*.parquet"))
        unread = [str(p) for p in markers if p.stem not in self._run_days]
        if unread:
            con = duckdb.connect()
            try:
                markers_rel = con.read_parquet(unread, union_by_name=True, filename=True)
                days = "usage_dates" if "usage_dates" in markers_rel.columns else "NULL"
                rows = markers_rel.project(
                    f"parse_filename(filename, true), {days}").fetchall()
            finally:
                con.close()
            self._run_days.update({stem: frozenset(d or ()) for stem, d in rows})
        return {p.stem: self._run_days.get(p.stem, frozenset()) for p in markers}

    def publish(self, run_id: str) -> None:
        """Move a run's staged files into place, the commit marker last."""
        staging = self.staging_dir(run_id)
        staged = sorted(p for p in staging.rglob("*.parquet"))
        marker = None
        for path in staged:
            relative = path.relative_to(staging)
            if relative.parts[0] == INGEST_RUNS:
                marker = (path, relative)
                continue
            self._move(path, relative, run_id)
        if marker is None:
            raise RuntimeError(f"run {run_id} staged no ingest_runs record")
        self._move(*marker, run_id)
        shutil.rmtree(staging, ignore_errors=True)

    def _move(self, path: Path, relative: Path, run_id: str) -> None:
        target = self.root / relative.parent / f"{run_id}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)

    def discard_staging(self, run_id: str) -> None:
        shutil.rmtree(self.staging_dir(run_id), ignore_errors=True)

    def orphan_files(self) -> list[Path]:
        """Data files of runs that never committed (a crash mid-publish)."""
        committed = self.committed_runs()
        orphans = []
        for table in (REQUESTS, USAGE_BUCKETS, QUARANTINE, PROMPT_EMBEDDINGS):
            table_dir = self.table_dir(table)
            if table_dir.exists():
                orphans += [p for p in table_dir.rglob("*.parquet") if p.stem not in committed]
        return orphans

    def sweep_abandoned(self) -> list[Path]:
        """Delete what killed runs left behind: staging folders and data files whose run never
        committed. Readers already skip both; this only reclaims the space. Call it only while
        holding the writer lock (a running ingest's staging and half-published files look
        abandoned too). Returns what was removed."""
        removed = self.orphan_files()
        for path in removed:
            path.unlink(missing_ok=True)
        staging = self.root / STAGING
        if staging.exists():
            for run_dir in staging.iterdir():
                removed.append(run_dir)
                shutil.rmtree(run_dir, ignore_errors=True)
        return removed
