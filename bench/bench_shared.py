"""The shared warehouse (DuckLake on Postgres + S3) against the embedded one, side by side.

    make install-scale
    .venv-scale/bin/python bench/bench_shared.py [--records 400000] [--files 4]

Writes --files LiteLLM SpendLogs files of --records/--files rows (gen_litellm.py, 30 days),
starts a throwaway PostgreSQL and moto's S3 server on 127.0.0.1 (tests/scale/services.py), then
times, in this run:

- embedded: one `llmcost ingest` of every file, then `llmcost build` (the default mode);
- shared, 1 worker: the same two commands against the DuckLake;
- shared, 2 workers: two `llmcost ingest` processes at once (half the files each), then two
  `llmcost build`-equivalent processes at once, one per half of the month.

Prints wall times and the ratios shared / embedded, and the lake's bytes per request in both.
moto is an in-process Python S3 emulator: object-store time here is moto's, not S3's, so the
ratios bound the catalog and format overhead from above. Results: bench/out/bench_shared.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "tests" / "scale"))

import gen_litellm  # noqa: E402
import services  # noqa: E402

BIN = Path(sys.executable).parent
BUILD_DAYS = ("from datetime import date, timedelta; from pipelines.paths import Home; "
              "from pipelines.warehouse import build; first = date.fromisoformat('{}'); "
              "build(Home.from_env(), dates=[first + timedelta(days=i) for i in range({})], "
              "marts=('requests', 'daily_costs'))")


def _timed(commands: list[list[str]], env: dict) -> float:
    started = time.perf_counter()
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for c in commands]
    for proc, command in zip(procs, commands, strict=True):
        _, err = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"{command} failed:\n{err[-3000:]}")
    return time.perf_counter() - started


def _ingest(files: list[Path]) -> list[str]:
    return [str(BIN / "llmcost"), "ingest", "--source", "litellm", *map(str, files)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=400_000)
    parser.add_argument("--files", type=int, default=4)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="llmcost-bench-shared-"))
    files = []
    for index in range(args.files):
        path = root / "inputs" / f"part{index}.jsonl"
        gen_litellm.write_jsonl(path, args.records // args.files, seed=100 + index)
        files.append(path)
    base = {k: v for k, v in os.environ.items()
            if k not in ("LLMCOST_WAREHOUSE", "LLMCOST_LAKE_URI")}
    base["LLMCOST_KEY_SALT"] = "bench"
    results: dict[str, float] = {}
    with services.postgres() as pg, services.moto_s3(root, "lake") as endpoint:
        embedded = dict(base, LLMCOST_HOME=str(root / "embedded"))
        results["embedded_ingest_s"] = _timed([_ingest(files)], embedded)
        results["embedded_build_s"] = _timed([[str(BIN / "llmcost"), "build"]], embedded)
        for workers in (1, 2):
            services.create_database(pg, f"catalog{workers}")
            shared = dict(base, LLMCOST_HOME=str(root / f"shared{workers}"),
                          LLMCOST_WAREHOUSE=(f"ducklake:postgres:dbname=catalog{workers} "
                                             f"host=127.0.0.1 port={pg['port']} user=postgres"),
                          LLMCOST_LAKE_URI=f"s3://lake/w{workers}/", AWS_ACCESS_KEY_ID="x",
                          AWS_SECRET_ACCESS_KEY="x", AWS_ENDPOINT_URL=endpoint)
            if workers == 1:
                ingest, builds = [_ingest(files)], [[str(BIN / "llmcost"), "build"]]
            else:
                half = len(files) // 2
                ingest = [_ingest(files[:half]), _ingest(files[half:])]
                builds = [[sys.executable, "-c", BUILD_DAYS.format(first, 15)]
                          for first in ("2026-09-01", "2026-09-16")]
            results[f"shared{workers}_ingest_s"] = _timed(ingest, shared)
            results[f"shared{workers}_build_s"] = _timed(builds, shared)
            if workers == 1:
                results["shared_lake_bytes_per_request"] = _shared_bytes(shared) / args.records
        lake = root / "embedded" / "lake" / "requests"
        results["embedded_lake_bytes_per_request"] = sum(
            p.stat().st_size for p in lake.rglob("*.parquet")) / args.records
    report = {"records": args.records, "files": args.files, **results}
    for step in ("ingest", "build"):
        base_s = results[f"embedded_{step}_s"]
        one, two = results[f"shared1_{step}_s"], results[f"shared2_{step}_s"]
        print(f"{step:6}  embedded {base_s:7.2f} s   shared, 1 worker {one:7.2f} s "
              f"({one / base_s:.2f}x)   shared, 2 workers {two:7.2f} s ({two / base_s:.2f}x)")
    print(f"lake bytes per request: embedded {results['embedded_lake_bytes_per_request']:.1f}, "
          f"shared {results['shared_lake_bytes_per_request']:.1f}")
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "bench_shared.json").write_text(json.dumps(report, indent=2))


def _shared_bytes(env: dict) -> int:
    code = ("from pipelines import lakehouse; c = lakehouse.connect(lakehouse.configured(), "
            "read_only=True); print(c.execute(\"SELECT sum(data_file_size_bytes) FROM "
            "ducklake_list_files('llmcost', 'requests', schema => 'lake')\").fetchall()[0][0])")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return int(done.stdout.strip())


if __name__ == "__main__":
    main()
