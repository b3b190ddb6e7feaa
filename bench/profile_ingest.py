"""Where does ingest time go? Phase breakdown of one ``Ingestor.ingest`` call.

    .venv/bin/python bench/profile_ingest.py [--records 200000] [--threads N]
                                             [--chunked [--chunk-mb 32]]

Wraps the ingest connection so every SQL statement is timed (grouped by its first words; wall
and the process's CPU seconds, steadier on a shared machine), and times the Python-side phases
(sha256 + line count, in the ingest's hashing thread; splitting the file into Arrow chunks, on
the chunked path only). ``--chunked`` turns the direct path off (DuckDB reading the JSONL file
itself), to compare the two; ``--chunk-mb`` then overrides ``pipelines.records.CHUNK_BYTES``
for this process only. Nothing outside bench/ is modified.
"""

from __future__ import annotations

import argparse
import collections
import resource
import shutil
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import gen_litellm  # noqa: E402

import pipelines.ingest as ingest_mod  # noqa: E402
import pipelines.records as records_mod  # noqa: E402
from pipelines.paths import Home  # noqa: E402
from pipelines.records import iter_raw_chunks  # noqa: E402

OUT = BENCH / "out"


def cpu_seconds() -> float:
    """CPU time of this process, every thread (DuckDB's and the hashing thread's) included:
    on a machine shared with other work, steadier than wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class TimedConnection:
    """Delegates to a DuckDB connection, timing execute() per statement kind."""

    def __init__(self, con, totals, cpu_totals):
        self._con = con
        self._totals = totals
        self._cpu = cpu_totals

    def execute(self, sql, *args, **kwargs):
        start, cpu = time.perf_counter(), cpu_seconds()
        result = self._con.execute(sql, *args, **kwargs)
        label = " ".join(line for line in sql.split("\n") if not line.strip().startswith("--"))
        label = "sql: " + " ".join(label.split())[:64]
        self._totals[label] += time.perf_counter() - start
        self._cpu[label] += cpu_seconds() - cpu
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--chunk-mb", type=float, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--file", type=Path, default=None,
                        help="profile this file instead of generated LiteLLM spend logs "
                             "(e.g. one bench_formats.py --keep wrote)")
    parser.add_argument("--source", default="litellm")
    parser.add_argument("--chunked", action="store_true",
                        help="turn the direct path off: the file goes through Python chunks")
    args = parser.parse_args()

    path = args.file or OUT / f"litellm_spend_logs_{args.records}.jsonl"
    if not path.exists():
        gen_litellm.write_jsonl(path, args.records)
    totals: dict[str, float] = collections.defaultdict(float)
    cpu_totals: dict[str, float] = collections.defaultdict(float)

    chunk_bytes = int(args.chunk_mb * 1024 * 1024) if args.chunk_mb else None

    def timed_chunks(p):
        it = iter_raw_chunks(p, chunk_bytes) if chunk_bytes else iter_raw_chunks(p)
        while True:
            start = time.perf_counter()
            try:
                chunk = next(it)
            except StopIteration:
                return
            totals["python: iter_raw_chunks (split lines -> Arrow)"] += time.perf_counter() - start
            yield chunk

    original_digest = ingest_mod.file_digest

    def timed_digest(p):
        start = time.perf_counter()
        digest = original_digest(p)
        # Runs in the ingest's hashing thread, beside DuckDB's read: overlaps the SQL rows.
        totals["python: file_digest (sha256 + line count, in a thread)"] += (
            time.perf_counter() - start)
        return digest

    ingest_mod.iter_raw_chunks = timed_chunks
    ingest_mod.file_digest = timed_digest

    if args.chunked:
        ingest_mod.Ingestor._load_direct = lambda self, *a: False
    home_dir = OUT / "profile_home"
    shutil.rmtree(home_dir, ignore_errors=True)
    ingestor = ingest_mod.Ingestor(Home(home_dir))
    if args.threads:
        ingestor.con.execute(f"SET threads = {args.threads}")
    ingestor.con = TimedConnection(ingestor.con, totals, cpu_totals)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    try:
        result = ingestor.ingest(path, args.source)
    finally:
        ingestor.close()
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    shutil.rmtree(home_dir, ignore_errors=True)

    print(f"{path.name}: {result.records_loaded:,} loaded, wall {wall:.2f}s, "
          f"CPU {cpu:.2f}s ({cpu / wall:.0%} of one core), "
          + (f"chunked path, chunk {args.chunk_mb or records_mod.CHUNK_BYTES / 2**20:g} MB"
             if args.chunked else "direct path unless the file needs chunks"))
    print("     wall  share      CPU  phase")
    for label, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.005:
            cpu_s = f"{cpu_totals[label]:7.2f}s" if label in cpu_totals else " " * 8
            print(f"  {seconds:7.2f}s {seconds / wall:6.1%} {cpu_s}  {label}")


if __name__ == "__main__":
    main()
