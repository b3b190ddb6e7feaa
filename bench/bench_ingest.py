"""Ingest throughput and memory, relative to DuckDB's own conversion of the same file to Parquet.

    .venv/bin/python bench/bench_ingest.py [--records 1000000 3000000] [--keep] [--repeat 2]
                                           [--shape full lean]

For each N: writes N LiteLLM SpendLogs-shape JSONL records to bench/out/ (``--shape full``: ~2 KB
a line, the proxy's metadata as it writes it; ``--shape lean``: ~0.85 KB, the fields llmcost
reads, the size issue 16 measured on; see gen_litellm.py), then measures, each step in its own
child process (wall time taken inside the child around the measured call; peak RSS of that
child from os.wait4):

- baseline_copy: COPY (SELECT * FROM read_json(<file>, format='newline_delimited')) TO
                 <tmp>.parquet (FORMAT parquet): DuckDB's own JSONL -> Parquet conversion, every
                 top-level field parsed and written (issue 16's baseline; the headline)
- baseline:      SELECT count(*) FROM read_json(<file>, format='newline_delimited')
- baseline_cols: the top-level fields the LiteLLM adapter reads, all materialised (aggregated),
                 so DuckDB cannot skip parsing them; a fairer but less standard baseline
- ingest:        pipelines.ingest.ingest_paths([file], Home(<fresh temp home>), source='litellm')
                 (the direct path: DuckDB reads the JSONL itself; see pipelines/ingest.py)
- write floor:   DuckDB writing the ingest's own output again - the rows it just put in the
                 lake, already in a temp table (loading them is not timed) - with the lake's
                 COPY (one zstd level 1 Parquet file per run, pipelines/lake.py): the part
                 of any ingest no parser speed can remove
- ingest_chunked (--also-chunked): the same ingest with the direct path turned off (records
                 split into Arrow chunks in Python), the path files with blank or broken lines
                 take

The headline ratio is ingest / baseline_copy (target <= 3.0x), the COPY run once before and
once after the ingest and averaged (an A-B-A design: the machine is shared and its speed
drifts), and reported per round; the verdict takes the median round, the worst is printed
beside it. ingest / count is printed beside it. The lake's size after the ingest (Parquet
bytes per request) is reported for docs/SCALE.md. Peak RSS should stay roughly flat as N
triples (DuckDB spills past its memory_limit). ``--repeat`` measures every step that many
times in turn (one row per round). Results go to bench/out/bench_ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from childproc import run_child as _run_child  # noqa: E402
from childproc import sql_path as _sql_path  # noqa: E402
from childproc import warm  # noqa: E402

TARGET_RATIO = 3.0

# Top-level fields the LiteLLM adapter (pipelines/sources/litellm.sql) reads from a SpendLogs
# row, with an aggregate that forces DuckDB to produce every value.
ADAPTER_FIELDS = [
    "request_id", "call_type", "api_key", "spend", "prompt_tokens", "completion_tokens",
    "startTime", "endTime", "model", "custom_llm_provider", '"user"', "team_id", "end_user",
    "session_id", "status", "metadata", "request_tags",
]


def data_path(records: int, shape: str = "full") -> Path:
    suffix = "" if shape == "full" else f"_{shape}"
    return OUT / f"litellm_spend_logs_{records}{suffix}.jsonl"


# -- child steps ------------------------------------------------------------------------------

def child_baseline(path: Path, columns: bool) -> dict:
    import duckdb

    con = duckdb.connect()
    source = f"read_json('{_sql_path(path)}', format = 'newline_delimited')"
    if columns:
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        aggregates = ", ".join(
            f"count({c})" if c in ("spend", "prompt_tokens", "completion_tokens", "startTime",
                                   "endTime")
            else f"sum(length({c}))"
            for c in ADAPTER_FIELDS if c.strip('"') in present  # the lean lines have fewer
        )
        sql = f"SELECT count(*), {aggregates} FROM {source}"
    else:
        sql = f"SELECT count(*) FROM {source}"
    start = time.perf_counter()
    row = con.execute(sql).fetchall()[0]
    seconds = time.perf_counter() - start
    con.close()
    return {"seconds": seconds, "rows": row[0], "sql": sql}


def child_baseline_copy(path: Path) -> dict:
    """DuckDB's own conversion of the file to Parquet (default settings), as issue 16 states it."""
    import duckdb

    target = Path(tempfile.mkdtemp(prefix="copy_", dir=OUT)) / "spend_logs.parquet"
    con = duckdb.connect()
    sql = (f"COPY (SELECT * FROM read_json('{_sql_path(path)}', format = 'newline_delimited')) "
           f"TO '{_sql_path(target)}' (FORMAT parquet)")
    try:
        start = time.perf_counter()
        con.execute(sql)
        seconds = time.perf_counter() - start
        rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(target)]).fetchall()[0][0]
        size = target.stat().st_size
    finally:
        con.close()
        shutil.rmtree(target.parent, ignore_errors=True)
    return {"seconds": seconds, "rows": rows, "parquet_bytes": size, "sql": sql}


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def child_ingest(path: Path, home_dir: Path, chunked: bool = False) -> dict:
    sys.path.insert(0, str(ROOT))
    from pipelines.ingest import (
        DIRECT_PATH_PROGRESS,
        TYPED_READ_PROGRESS,
        Ingestor,
        ingest_paths,
    )
    from pipelines.paths import Home

    if chunked:
        Ingestor._load_direct = lambda self, *args: False
    messages: list[str] = []
    start = time.perf_counter()
    results = ingest_paths([path], Home(home_dir), source="litellm", progress=messages.append)
    seconds = time.perf_counter() - start
    result = results[0]
    lake = home_dir / "lake"
    return {"seconds": seconds, "status": result.status, "records_read": result.records_read,
            "lake_bytes": _tree_bytes(lake),
            "lake_requests_bytes": _tree_bytes(lake / "requests"),
            "lake_requests_files": len(list((lake / "requests").rglob("*.parquet"))),
            "path": "direct" if any(DIRECT_PATH_PROGRESS in m for m in messages) else "chunked",
            "typed_read": any(TYPED_READ_PROGRESS in m for m in messages),
            "records_loaded": result.records_loaded,
            "records_duplicate": result.records_duplicate,
            "records_quarantined": result.records_quarantined}


def child_write_floor(home_dir: Path) -> dict:
    """Time only the lake's Parquet write of rows the ingest already produced."""
    import duckdb

    files = sorted(str(p) for p in (home_dir / "lake" / "requests").rglob("*.parquet"))
    con = duckdb.connect(config={"memory_limit": "2GB"})
    con.execute("CREATE TEMP TABLE batch AS SELECT * FROM read_parquet(?)", [files])
    rows = con.execute("SELECT count(*) FROM batch").fetchall()[0][0]
    target = Path(tempfile.mkdtemp(prefix="write_floor_", dir=OUT))
    try:
        start = time.perf_counter()
        con.execute(f"COPY batch TO '{_sql_path(target / 'run.parquet')}' (FORMAT parquet, "
                    "COMPRESSION zstd, COMPRESSION_LEVEL 1)")
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(target, ignore_errors=True)
    con.close()
    return {"seconds": seconds, "rows": rows}


def child_generate(path: Path, records: int, shape: str) -> dict:
    sys.path.insert(0, str(BENCH))
    import gen_litellm

    start = time.perf_counter()
    gen_litellm.write_jsonl(path, records, lean=shape == "lean")
    return {"seconds": time.perf_counter() - start}


def run_child(step: str, *args: str) -> dict:
    return _run_child(Path(__file__).resolve(), step, *args)


# -- parent -----------------------------------------------------------------------------------

def bench_one(records: int, keep: bool, also_chunked: bool = False,
              shape: str = "full") -> dict:
    path = data_path(records, shape)
    if path.exists():
        print(f"  reusing {path.relative_to(ROOT)}", flush=True)
    else:
        generated = run_child("generate", str(path), str(records), shape)
        print(f"  generated {path.relative_to(ROOT)} in {generated['seconds']:.1f}s "
              "(not measured)", flush=True)
    file_mb = path.stat().st_size / 1e6

    warm(path)  # so neither side pays for the first read from disk

    copy = run_child("baseline_copy", str(path))
    print(f"  baseline COPY->parquet {copy['seconds']:7.2f}s", flush=True)
    baseline = run_child("baseline", str(path))
    print(f"  baseline count(*)      {baseline['seconds']:7.2f}s", flush=True)
    baseline_cols = run_child("baseline_cols", str(path))
    print(f"  baseline adapter cols  {baseline_cols['seconds']:7.2f}s", flush=True)
    home_dir = Path(tempfile.mkdtemp(prefix="ingest_home_", dir=OUT))
    try:
        ingest = run_child("ingest", str(path), str(home_dir))
        print(f"  ingest                 {ingest['seconds']:7.2f}s ({ingest['path']} path, "
              f"{ingest['seconds'] / copy['seconds']:.2f}x the COPY before it; lake "
              f"{ingest['lake_requests_bytes'] / records:.0f} B/request)", flush=True)
        write_floor = run_child("write_floor", str(home_dir))
        print(f"  write floor            {write_floor['seconds']:7.2f}s", flush=True)
    finally:
        shutil.rmtree(home_dir, ignore_errors=True)
    # The COPY again after the ingest: the baseline is the mean of the two, so a machine whose
    # speed drifts (shared cores) moves both sides of the ratio alike.
    copy_after = run_child("baseline_copy", str(path))
    print(f"  baseline COPY, again   {copy_after['seconds']:7.2f}s", flush=True)
    copy_seconds = (copy["seconds"] + copy_after["seconds"]) / 2
    copy_cpu = (copy["cpu_seconds"] + copy_after["cpu_seconds"]) / 2
    chunked = None
    if also_chunked:
        home_dir = Path(tempfile.mkdtemp(prefix="ingest_home_", dir=OUT))
        try:
            chunked = run_child("ingest_chunked", str(path), str(home_dir))
        finally:
            shutil.rmtree(home_dir, ignore_errors=True)
        print(f"  ingest, chunked path   {chunked['seconds']:7.2f}s", flush=True)
    if not keep:
        path.unlink()

    ok = (copy["rows"] == records and baseline["rows"] == records
          and baseline_cols["rows"] == records
          and ingest["records_loaded"] == records and ingest["records_read"] == records
          and write_floor["rows"] == records and ingest["path"] == "direct"
          and (chunked is None or chunked["path"] == "chunked"))
    return {
        "records": records,
        "shape": shape,
        "file_mb": round(file_mb, 1),
        "bytes_per_record": round(file_mb * 1e6 / records),
        "baseline_copy": copy,
        "baseline": baseline,
        "baseline_cols": baseline_cols,
        "ingest": ingest,
        "write_floor": write_floor,
        "ingest_chunked": chunked,
        "baseline_copy_after": copy_after,
        "ratio": ingest["seconds"] / copy_seconds,
        "ratio_vs_copy_before": ingest["seconds"] / copy["seconds"],
        "ratio_vs_count": ingest["seconds"] / baseline["seconds"],
        # Whole child processes (interpreter start and imports included): steadier than wall
        # time when other work shares the machine.
        "cpu_ratio": ingest["cpu_seconds"] / copy_cpu,
        "lake_requests_bytes_per_request": ingest["lake_requests_bytes"] / records,
        "copy_parquet_bytes_per_request": copy["parquet_bytes"] / records,
        "write_floor_ratio": write_floor["seconds"] / copy_seconds,
        "ratio_chunked": chunked["seconds"] / copy_seconds if chunked else None,
        "ratio_vs_cols": ingest["seconds"] / baseline_cols["seconds"],
        "ingest_records_per_s": records / ingest["seconds"],
        "ingest_mb_per_s": file_mb / ingest["seconds"],
        "loaded_equals_n": ok,
    }


def print_table(rows: list[dict]) -> None:
    header = (f"{'records':>10} {'file MB':>8} {'COPY s':>7} {'count s':>8} {'ingest s':>9} "
              f"{'/COPY':>7} {'CPU/COPY':>9} {'/count':>7} {'write s':>8} {'write x':>8} "
              f"{'chunked x':>10} "
              f"{'lake B/req':>11} {'ingest RSS MB':>14} {'COPY RSS MB':>12} {'loaded==N':>10}")
    print(header)
    print("-" * len(header))
    for r in rows:
        copy_s = (r["baseline_copy"]["seconds"] + r["baseline_copy_after"]["seconds"]) / 2
        print(f"{r['records']:>10,} {r['file_mb']:>8.0f} {copy_s:>7.2f} "
              f"{r['baseline']['seconds']:>8.2f} {r['ingest']['seconds']:>9.2f} "
              f"{r['ratio']:>6.2f}x {r['cpu_ratio']:>8.2f}x {r['ratio_vs_count']:>6.1f}x "
              f"{r['write_floor']['seconds']:>8.2f} {r['write_floor_ratio']:>7.2f}x "
              f"{(format(r['ratio_chunked'], '.1f') + 'x') if r['ratio_chunked'] else '-':>10} "
              f"{r['lake_requests_bytes_per_request']:>11.0f} "
              f"{r['ingest']['peak_rss_mb']:>14.0f} {r['baseline_copy']['peak_rss_mb']:>12.0f} "
              f"{'yes' if r['loaded_equals_n'] else 'NO':>10}")
    print()
    for shape in dict.fromkeys(r["shape"] for r in rows):
        summarise([r for r in rows if r["shape"] == shape])


def summarise(rows: list[dict]) -> None:
    """The verdict per size, and memory across sizes, for rows of one line shape."""
    sizes = sorted({r["records"] for r in rows})
    line = f"{rows[0]['shape']}, ~{rows[0]['bytes_per_record']} B a line"
    for n in sizes:
        ratios = [r["ratio"] for r in rows if r["records"] == n]
        median = statistics.median(ratios)
        verdict = "meets" if median <= TARGET_RATIO else "MISSES"
        print(f"headline, {n:,} records ({line}): ingest / DuckDB's COPY of the file to "
              f"Parquet (the mean of a COPY before and after the ingest) = {median:.2f}x, "
              f"the median of {len(ratios)} round(s): "
              f"{', '.join(f'{x:.2f}x' for x in ratios)} (worst {max(ratios):.2f}x) "
              f"-> {verdict} the <= {TARGET_RATIO:.1f}x target")
    if len(sizes) > 1:
        rss = {n: max(r["ingest"]["peak_rss_mb"] for r in rows if r["records"] == n)
               for n in sizes}
        print(f"{line}: ingest peak RSS {rss[sizes[0]]:.0f} MB at {sizes[0]:,} records, "
              f"{rss[sizes[-1]]:.0f} MB at {sizes[-1]:,} "
              f"(x{sizes[-1] / sizes[0]:.0f} input, x{rss[sizes[-1]] / rss[sizes[0]]:.2f} memory)")


def machine() -> dict:
    import duckdb

    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "platform": platform.platform()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="llmcost ingest benchmark")
    parser.add_argument("--records", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated JSONL in bench/out (reused by later runs)")
    parser.add_argument("--also-chunked", action="store_true",
                        help="also time the chunked path (direct path off) on the same file")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure every step this many times in turn (one row each)")
    parser.add_argument("--shape", choices=("full", "lean"), nargs="+", default=["full"],
                        help="full: ~2 KB SpendLogs lines with the proxy's metadata; lean: "
                             "~0.85 KB lines, the fields llmcost reads (issue 16's 848 MB "
                             "per 1M rows)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        step, *rest = args.child
        if step == "baseline_copy":
            out = child_baseline_copy(Path(rest[0]))
        elif step == "baseline":
            out = child_baseline(Path(rest[0]), columns=False)
        elif step == "baseline_cols":
            out = child_baseline(Path(rest[0]), columns=True)
        elif step == "ingest":
            out = child_ingest(Path(rest[0]), Path(rest[1]))
        elif step == "ingest_chunked":
            out = child_ingest(Path(rest[0]), Path(rest[1]), chunked=True)
        elif step == "write_floor":
            out = child_write_floor(Path(rest[0]))
        elif step == "generate":
            out = child_generate(Path(rest[0]), int(rest[1]), rest[2])
        else:
            raise SystemExit(f"unknown child step {step}")
        print(json.dumps(out))
        return out

    OUT.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"load average (1 min) before start: {load:.2f} on {os.cpu_count()} CPUs"
          + ("  <- other work is running: timings will be noisy" if load > 0.5 else ""))
    rows = []
    for shape in args.shape:
        for records in args.records:
            for round_no in range(1, args.repeat + 1):
                print(f"\n== {records:,} {shape} records, round {round_no} of {args.repeat}",
                      flush=True)
                last = round_no == args.repeat
                rows.append(bench_one(records, args.keep or not last, args.also_chunked,
                                      shape))
    print()
    print_table(rows)
    # The floor every child's peak RSS inherits (see run_child), before duckdb is imported.
    orchestrator_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {"benchmark": "ingest", "at": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": machine(), "target_ratio": TARGET_RATIO,
              "orchestrator_peak_rss_mb": orchestrator_rss, "loadavg_1m_at_start": load,
              "runs": rows}
    out = OUT / "bench_ingest.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    main()
