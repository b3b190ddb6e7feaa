"""Ingest throughput of every source format, relative to DuckDB's raw scan of the same file.

    .venv/bin/python bench/bench_formats.py [--records 200000] [--sources otel bedrock ...]

For each source: writes ``--records`` lines of that format to bench/out/ and, each step in its
own child process (bench/childproc.py: wall time inside the child, peak RSS and CPU from
outside), measures

- baseline: ``SELECT count(*) FROM read_json(<file>, format = 'newline_delimited')`` (CSV:
  ``read_csv``), the raw DuckDB scan of the same bytes; where DuckDB cannot infer one schema
  for the file's records it falls back to ``read_json_objects`` (the table says which);
- ingest:   ``pipelines.ingest.ingest_paths([file], Home(<fresh temp home>), source=...)``,
  and whether the file took the direct path (DuckDB reading the JSONL itself) or the chunked
  one.

The records are the fuzz tests' seeds (tests/fuzz_records.py), which are built from the real
recorded samples in tests/fixtures and the adapter tests' records, so every line is one an
adapter test proves loads; line i is seed i mod k with its ids made unique by i. Token counts
and timestamps repeat per seed (parsing costs the same). OTLP documents hold 1-3 spans and usage
pages 1-3 buckets, as the seeds do. Results go to bench/out/bench_formats.json. Issue 3's
target for the large formats (OTel, Bedrock invocation logs, usage and cost pages): ingest at
most 3x the raw scan, memory bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from childproc import run_child, warm  # noqa: E402
from childproc import sql_path as _sql_path  # noqa: E402

TARGET_RATIO = 3.0
TAG = "QQTAGQQ"
LARGE = {"otel", "bedrock", "openai_usage", "openai_costs", "anthropic_usage", "anthropic_costs"}
CSV_FORMATS = {"helicone_csv": "helicone"}
ALL = ["litellm", "openai", "anthropic", "gemini", "openrouter", "helicone", "helicone_csv",
       "portkey", "otel", "bedrock", "openai_usage", "openai_costs", "anthropic_usage",
       "anthropic_costs"]


def data_path(fmt: str, records: int) -> Path:
    return OUT / f"format_{fmt}_{records}.{'csv' if fmt in CSV_FORMATS else 'jsonl'}"


# -- child steps ------------------------------------------------------------------------------

def _seed_templates(fmt: str) -> tuple[str | None, list[list[str]], list[int]]:
    """(CSV header or None, each seed's text split around the tag, rows each seed yields)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fuzz_records import CSV_SEEDS, SEEDS

    if fmt in CSV_FORMATS:
        seeds = CSV_SEEDS[CSV_FORMATS[fmt]]
        header = ",".join(seeds.header)
        texts = [",".join(seeds.cell(row(TAG).get(c)) for c in seeds.header)
                 for row in seeds.rows]
        items = [1] * len(texts)
    else:
        header = None
        texts = [json.dumps(seed.make(TAG)) for seed in SEEDS[fmt]]
        if fmt == "otel":  # the tag becomes a 32-hex-digit trace id (fuzz_records._retrace)
            texts = [t.replace((TAG.encode().hex() + "0" * 32)[:32], TAG) for t in texts]
        items = [seed.items for seed in SEEDS[fmt]]
    templates = [text.split(TAG) for text in texts]
    for parts in templates:
        if len(parts) < 2:
            raise SystemExit(f"{fmt}: a seed has no per-record id to vary")
    return header, templates, items


def child_generate(fmt: str, path: Path, records: int) -> dict:
    import numpy as np
    import polars as pl

    start = time.perf_counter()
    header, templates, items = _seed_templates(fmt)
    frames = []
    for j, parts in enumerate(templates):
        index = np.arange(j, records, len(templates), dtype=np.int64)
        tag = (pl.Series("tag", [f"{i:032x}" for i in index], pl.String) if fmt == "otel"
               else pl.Series("tag", index).cast(pl.String))
        pieces = [pl.lit(parts[0])]
        for part in parts[1:]:
            pieces += [pl.col("tag"), pl.lit(part)]
        frames.append(pl.DataFrame({"i": index, "tag": tag}).select(
            "i", pl.concat_str(pieces).alias("line")))
    lines = pl.concat(frames).sort("i")["line"]
    with open(path, "w", encoding="utf-8") as handle:
        if header:
            handle.write(header + "\n")
        for offset in range(0, len(lines), 50_000):
            handle.write("\n".join(lines.slice(offset, 50_000).to_list()) + "\n")
    expected = sum(items[i % len(items)] for i in range(len(items))) * (records // len(items))
    expected += sum(items[i] for i in range(records % len(items)))
    return {"seconds": time.perf_counter() - start, "expected_rows": expected}


def child_baseline(fmt: str, path: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    if fmt in CSV_FORMATS:
        scans = [("read_csv", f"read_csv('{_sql_path(path)}', all_varchar = true)")]
    else:
        scans = [("read_json", f"read_json('{_sql_path(path)}', format = 'newline_delimited')"),
                 ("read_json_objects",
                  f"read_json_objects('{_sql_path(path)}', format = 'newline_delimited')")]
    for name, scan in scans:
        try:
            start = time.perf_counter()
            rows = con.execute(f"SELECT count(*) FROM {scan}").fetchall()[0][0]
            return {"seconds": time.perf_counter() - start, "rows": rows, "scan": name}
        except duckdb.Error as exc:
            failure = str(exc).splitlines()[0][:160]
    raise SystemExit(f"no baseline scan worked: {failure}")


def child_ingest(fmt: str, path: Path, home_dir: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from pipelines.ingest import DIRECT_PATH_PROGRESS, ingest_paths
    from pipelines.paths import Home

    messages: list[str] = []
    start = time.perf_counter()
    (result,) = ingest_paths([path], Home(home_dir), source=CSV_FORMATS.get(fmt, fmt),
                             progress=messages.append)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "status": result.status, "records_read": result.records_read,
            "records_loaded": result.records_loaded,
            "records_duplicate": result.records_duplicate,
            "records_quarantined": result.records_quarantined,
            "path": ("direct" if any(DIRECT_PATH_PROGRESS in m for m in messages)
                     else "chunked")}


# -- parent -----------------------------------------------------------------------------------

def bench_format(fmt: str, records: int, keep: bool) -> dict:
    path = data_path(fmt, records)
    generated = run_child(Path(__file__), "generate", fmt, str(path), str(records))
    warm(path)
    baseline = run_child(Path(__file__), "baseline", fmt, str(path))
    home_dir = Path(tempfile.mkdtemp(prefix="formats_home_", dir=OUT))
    try:
        ingest = run_child(Path(__file__), "ingest", fmt, str(path), str(home_dir))
    finally:
        shutil.rmtree(home_dir, ignore_errors=True)
    file_mb = path.stat().st_size / 1e6
    if not keep:
        path.unlink()
    row = {
        "format": fmt, "records": records, "file_mb": round(file_mb, 1),
        "expected_rows": generated["expected_rows"], "baseline": baseline, "ingest": ingest,
        "ratio": ingest["seconds"] / baseline["seconds"], "large": fmt in LARGE,
        "all_loaded": (ingest["records_loaded"] == generated["expected_rows"]
                       and ingest["records_quarantined"] == 0
                       and ingest["records_duplicate"] == 0),
    }
    print(f"  {fmt:<16} {file_mb:8.0f} MB  {baseline['scan']:<17} {baseline['seconds']:6.2f}s  "
          f"ingest {ingest['seconds']:7.2f}s ({ingest['path']})  {row['ratio']:6.1f}x  "
          f"RSS {ingest['peak_rss_mb']:5.0f} MB  rows {ingest['records_loaded']:,}"
          f"{'' if row['all_loaded'] else '  <- NOT all loaded'}", flush=True)
    return row


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="llmcost ingest benchmark, every format")
    parser.add_argument("--records", type=int, default=200_000, help="lines per format")
    parser.add_argument("--sources", nargs="+", default=ALL, choices=ALL)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        step, fmt, *rest = args.child
        if step == "generate":
            out = child_generate(fmt, Path(rest[0]), int(rest[1]))
        elif step == "baseline":
            out = child_baseline(fmt, Path(rest[0]))
        elif step == "ingest":
            out = child_ingest(fmt, Path(rest[0]), Path(rest[1]))
        else:
            raise SystemExit(f"unknown child step {step}")
        print(json.dumps(out))
        return out

    OUT.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"load average (1 min) before start: {load:.2f} on {os.cpu_count()} CPUs"
          + ("  <- other work is running: timings will be noisy" if load > 0.5 else ""))
    rows = [bench_format(fmt, args.records, args.keep) for fmt in args.sources]
    large = [r for r in rows if r["large"]]
    if large:
        worst = max(large, key=lambda r: r["ratio"])
        verdict = "meets" if worst["ratio"] <= TARGET_RATIO else "MISSES"
        print(f"\nlarge formats: worst {worst['format']} {worst['ratio']:.1f}x the raw scan -> "
              f"{verdict} the <= {TARGET_RATIO:.1f}x target")
    report = {"benchmark": "formats", "at": datetime.now(UTC).isoformat(timespec="seconds"),
              "cpus": os.cpu_count(), "loadavg_1m_at_start": load, "target_ratio": TARGET_RATIO,
              "runs": rows}
    out = OUT / "bench_formats.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    main()
