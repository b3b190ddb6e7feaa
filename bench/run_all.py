"""Run every benchmark with its defaults (1M records / requests; 200K lines per format) and print
a summary.

    .venv/bin/python bench/run_all.py        (or: make bench)
    .venv/bin/python bench/run_all.py --ingest-records 1000000 3000000   (memory stays bounded?)

Each benchmark runs as its own process and writes its JSON to bench/out/; the summary is read
back from those files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"


def run(script: str, *args: str) -> None:
    print(f"\n########## {script} {' '.join(args)}", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(BENCH / script), *args], check=True, cwd=BENCH.parent)
    print(f"########## {script} took {time.perf_counter() - start:.0f}s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="run every llmcost benchmark")
    parser.add_argument("--ingest-records", nargs="+", default=[],
                        help="passed to bench_ingest.py --records (default: its own, 1M)")
    args = parser.parse_args()
    # Both line shapes: the ratio depends on the bytes per record (bench/README.md).
    run("bench_ingest.py", "--shape", "full", "lean",
        *(["--records", *args.ingest_records] if args.ingest_records else []))
    run("bench_formats.py")
    run("bench_pricing.py")
    run("bench_savings.py", "--requests", "1000000")

    ingest = json.loads((OUT / "bench_ingest.json").read_text())
    pricing = json.loads((OUT / "bench_pricing.json").read_text())
    formats = json.loads((OUT / "bench_formats.json").read_text())
    print("\n================ summary ================")
    print(f"machine: {ingest['machine']['cpus']} CPUs, Python {ingest['machine']['python']}, "
          f"DuckDB {ingest['machine']['duckdb']}")
    for r in ingest["runs"]:
        print(f"ingest  {r['records']:>10,} {r.get('shape', 'full')} records "
              f"({r['file_mb']:.0f} MB): "
              f"DuckDB COPY to Parquet {r['baseline_copy']['seconds']:.2f}s, ingest "
              f"{r['ingest']['seconds']:.2f}s -> {r['ratio']:.2f}x "
              f"(target <= {ingest['target_ratio']:.1f}x), peak RSS "
              f"{r['ingest']['peak_rss_mb']:.0f} MB, loaded == N: {r['loaded_equals_n']}")
    for r in formats["runs"]:
        print(f"format  {r['format']:<16} {r['records']:,} lines ({r['file_mb']:.0f} MB): "
              f"{r['baseline']['scan']} count {r['baseline']['seconds']:.2f}s, ingest "
              f"{r['ingest']['seconds']:.2f}s ({r['ingest']['path']} path) -> {r['ratio']:.1f}x"
              f"{' (large format, target <= 3.0x)' if r['large'] else ''}, all loaded: "
              f"{r['all_loaded']}")
    q = pricing["llmcost_priced_query"]
    print(f"pricing {pricing['requests']:>10,} requests: llmcost {q['seconds']:.2f}s "
          f"(build {pricing['llmcost_build']['seconds']:.2f}s), LiteLLM "
          f"{pricing['litellm']['seconds']:.2f}s -> {pricing['speedup_query']:.0f}x "
          f"(build {pricing['speedup_build']:.0f}x; target >= 100x)")
    print(f"        totals llmcost ${Decimal(pricing['total_llmcost_usd']):,.2f}, LiteLLM "
          f"${Decimal(pricing['total_litellm_usd']):,.2f}, difference "
          f"${Decimal(pricing['total_difference_usd']):.9f}, match to the cent: "
          f"{pricing['match_to_the_cent']}")


if __name__ == "__main__":
    main()
