"""Pricing 1M requests: llmcost's SQL engine vs LiteLLM's per-request cost_per_token loop.

    .venv/bin/python bench/bench_pricing.py [--requests 1000000] [--keep]

LiteLLM is not a project dependency: its side runs in bench/.venv-litellm (created on first
use with `python3 -m venv` + `pip install litellm pyarrow`) as a subprocess running
bench/litellm_loop.py with LITELLM_LOCAL_MODEL_COST_MAP=True (bundled price map, offline).

Steps:
1. Price check: for every model of the generator, LiteLLM's bundled per-token prices must equal
   the curated standard-tier row of pricing/prices.csv in effect on the generated dates; only
   models that match exactly are generated (a mismatch is printed and the model left out).
2. Generate N LiteLLM SpendLogs records (bench/gen_litellm.py) and the same requests as Parquet.
3. Ingest the JSONL into a fresh temporary home (not timed: that is bench_ingest.py's job).
4. llmcost, each in its own child process:
   - priced query (headline): `CREATE TEMP TABLE bench_priced AS SELECT <the pricing outputs:
     price_id, cost components, cost_usd, ...> FROM int_requests__priced` timed (and, reported
     beside it, the same with every request column), run inside `warehouse.build` just before
     it inserts the requests mart, so the views, lake binding and build dates are exactly
     warehouse.py's own.
     It reads the lake's Parquet, resolves models and joins prices: strictly more work than
     the LiteLLM loop, which starts from Python lists already in memory.
   - build: `pipelines.warehouse.build(home, full=True, marts=("requests",))` timed (adds the
     mart's casts and the write to warehouse.duckdb).
5. LiteLLM: `litellm.cost_per_token(model, prompt_tokens, completion_tokens,
   cache_read_input_tokens, cache_creation_input_tokens)` per request, only the loop timed.
6. Compare totals (must match to the cent), per model, and request by request.

Results go to bench/out/bench_pricing.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
LITELLM_VENV = BENCH / ".venv-litellm"
LITELLM_PY = LITELLM_VENV / "bin" / "python"
TARGET_SPEEDUP = 100.0
MAX_PROMPT = 150_000 + 20  # gen_litellm caps prompt tokens here

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _litellm_env() -> dict:
    return {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}


# -- LiteLLM venv -----------------------------------------------------------------------------

def ensure_litellm_venv() -> None:
    """Create bench/.venv-litellm with litellm + pyarrow unless it already works."""
    check = [str(LITELLM_PY), "-c", "import litellm, pyarrow"]
    if LITELLM_PY.exists() and subprocess.run(check, capture_output=True,
                                              env=_litellm_env()).returncode == 0:
        return
    print("  creating bench/.venv-litellm (python3 -m venv; pip install litellm pyarrow)",
          flush=True)
    subprocess.run(["python3", "-m", "venv", str(LITELLM_VENV)], check=True)
    pip = subprocess.run([str(LITELLM_VENV / "bin" / "pip"), "install", "--quiet",
                          "litellm", "pyarrow"], capture_output=True, text=True)
    if pip.returncode != 0:
        raise RuntimeError(f"pip install litellm failed:\n{pip.stderr[-3000:]}")
    subprocess.run(check, check=True, env=_litellm_env())


# -- step 1: price check ----------------------------------------------------------------------

def curated_prices(models: list[str], first: date, last: date) -> dict[str, dict]:
    """The curated standard-tier rows of pricing/prices.csv in effect over [first, last]."""
    from pipelines import pricing

    rows = pricing.load(None).rows.to_pylist()
    out: dict[str, dict] = {}
    for model in models:
        mine = [r for r in rows if r["model"] == model and r["service_tier"] == "standard"
                and r["price_source"] == "curated"]
        # A row without effective_to lasts until the next row of the same threshold (as in
        # stg_pricing__prices), so the row in effect is the latest one started by `first`.
        live = [r for r in mine if r["effective_from"] <= first
                and (r["effective_to"] is None or r["effective_to"] > last)]
        base = max((r for r in live if r["min_input_tokens"] == 0),
                   key=lambda r: r["effective_from"], default=None)
        # A price change inside the generated window would split it: not comparable.
        changes = [r for r in mine if first < r["effective_from"] <= last]
        out[model] = {
            "base": base if not changes else None,
            "long_context": sorted({r["min_input_tokens"] for r in live
                                    if r["min_input_tokens"] > 0}),
        }
    return out


def compare_prices(max_prompt: int) -> tuple[list[str], list[dict]]:
    import gen_litellm
    import numpy as np

    models = [m[0] for m in gen_litellm.MODELS]
    first = gen_litellm.START.astype("datetime64[D]").astype(date)
    last = (gen_litellm.START + np.timedelta64(gen_litellm.DAYS, "D") - np.timedelta64(1, "us")
            ).astype("datetime64[D]").astype(date)
    proc = subprocess.run([str(LITELLM_PY), str(BENCH / "litellm_loop.py"), "prices", *models],
                          capture_output=True, text=True, env=_litellm_env(), check=True)
    theirs = json.loads(proc.stdout.strip().splitlines()[-1])["prices"]
    ours = curated_prices(models, first, last)
    writers = {m[0] for m in gen_litellm.MODELS if m[1] == "anthropic"}  # get cache writes

    def same(per_mtok: Decimal, per_token: float | None) -> bool:
        return per_token is not None and abs(float(per_mtok) * 1e-6 - per_token) <= 1e-15

    matching, report = [], []
    for model in models:
        lite, mine = theirs.get(model), ours[model]["base"]
        problems = []
        if lite is None:
            problems.append("not in LiteLLM's bundled map")
        if mine is None:
            problems.append("no single curated standard row over the generated dates")
        if not problems:
            pairs = [("input", "input_usd_per_mtok", "input_cost_per_token"),
                     ("cache read", "cache_read_usd_per_mtok", "cache_read_input_token_cost"),
                     ("output", "output_usd_per_mtok", "output_cost_per_token")]
            if model in writers:
                pairs.append(("cache write 5m", "cache_write_5m_usd_per_mtok",
                              "cache_creation_input_token_cost"))
            for label, our_key, their_key in pairs:
                if not same(mine[our_key], lite[their_key]):
                    problems.append(f"{label}: prices.csv {mine[our_key]}/MTok vs LiteLLM "
                                    f"{lite[their_key]}/token")
            long_ctx = [t for t in ours[model]["long_context"] if t < max_prompt]
            lite_ctx = sorted({int(m.group(1)) * 1000 for key in lite["tiered"]
                               if (m := re.search(r"_above_(\d+)k_tokens", key))
                               and int(m.group(1)) * 1000 < max_prompt})
            if long_ctx or lite_ctx:
                problems.append(f"long-context tiers (prices.csv {long_ctx}, LiteLLM "
                                f"{lite_ctx}) reachable by the generated prompts")
        report.append({"model": model, "matches": not problems, "problems": problems,
                       "prices_csv": None if mine is None else {
                           k: str(mine[k]) for k in ("input_usd_per_mtok",
                                                     "cache_read_usd_per_mtok",
                                                     "cache_write_5m_usd_per_mtok",
                                                     "output_usd_per_mtok")},
                       "litellm": lite})
        if not problems:
            matching.append(model)
    return matching, report


# -- llmcost children ---------------------------------------------------------------------------

def _model_totals(con, table: str) -> dict:
    rows = con.execute(
        f"SELECT model, count(*), count(*) FILTER (WHERE NOT is_priced), sum(cost_usd) "
        f"FROM {table} GROUP BY model ORDER BY model").fetchall()
    return {m: {"requests": n, "unpriced": u, "total_usd": str(t)} for m, n, u, t in rows}


# What pricing produces per request: the price row, the cost components and the total. This is
# the headline (LiteLLM's loop produces a cost per request and nothing else); the same query
# with every column of the request (SELECT *) is timed too and reported as `wide_seconds`.
PRICED_COLUMNS = ("source, request_id, model, price_id, price_source, is_priced, "
                  "unpriced_reason, input_cost_usd, cache_read_cost_usd, cache_write_cost_usd, "
                  "output_cost_usd, tool_cost_usd, cost_usd")


class _PricedQueryHook:
    """Wraps warehouse.build's connection. Just before build inserts the ``requests`` mart (the
    views, lake binding and build dates then set up by warehouse.py itself), it times
    ``CREATE TEMP TABLE bench_priced AS SELECT <PRICED_COLUMNS> FROM int_requests__priced``
    (DuckDB pushes the projection down to the Parquet scan, so only the pricing inputs are
    read), then the same with ``SELECT *``; records totals and per-request costs, drops the
    tables, then lets the build carry on."""

    MART_INSERT = "INSERT INTO requests SELECT"

    def __init__(self, con, costs_path: Path, out: dict):
        self._con = con
        self._costs_path = costs_path
        self._out = out

    def execute(self, sql, *args, **kwargs):
        if "seconds" in self._out or not " ".join(sql.split()).startswith(self.MART_INSERT):
            return self._con.execute(sql, *args, **kwargs)
        con = self._con
        start = time.perf_counter()
        con.execute("CREATE TEMP TABLE bench_wide AS SELECT * FROM int_requests__priced")
        self._out["wide_seconds"] = time.perf_counter() - start
        con.execute("DROP TABLE bench_wide")
        start = time.perf_counter()
        con.execute(f"CREATE TEMP TABLE bench_priced AS SELECT {PRICED_COLUMNS} "
                    "FROM int_requests__priced")
        self._out["seconds"] = time.perf_counter() - start
        self._out["rows"] = con.execute("SELECT count(*) FROM bench_priced").fetchall()[0][0]
        self._out["total_usd"] = str(
            con.execute("SELECT sum(cost_usd) FROM bench_priced").fetchall()[0][0])
        self._out["per_model"] = _model_totals(con, "bench_priced")
        con.execute(f"COPY (SELECT request_id, cost_usd FROM bench_priced) "
                    f"TO '{_sql_path(self._costs_path)}' (FORMAT parquet)")
        con.execute("DROP TABLE bench_priced")
        return con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def child_priced(home_dir: Path, costs_path: Path) -> dict:
    """The priced query, over views set up by warehouse.build itself (see _PricedQueryHook)."""
    from pipelines import db, warehouse
    from pipelines.paths import Home

    out: dict = {}
    connect = db.connect
    db.connect = lambda *a, **k: _PricedQueryHook(connect(*a, **k), costs_path, out)
    try:
        warehouse.build(Home(home_dir), full=True, marts=("requests",))
    finally:
        db.connect = connect
    if "seconds" not in out:
        raise RuntimeError("warehouse.build never ran 'INSERT INTO requests SELECT ...': "
                           "update _PricedQueryHook.MART_INSERT")
    return out


def child_build(home_dir: Path) -> dict:
    from pipelines import warehouse
    from pipelines.paths import Home

    home = Home(home_dir)
    start = time.perf_counter()
    result = warehouse.build(home, full=True, marts=("requests",))
    seconds = time.perf_counter() - start
    con = warehouse.open_read_only(home)
    total = con.execute("SELECT sum(cost_usd) FROM requests").fetchall()[0][0]
    con.close()
    return {"seconds": seconds, "rows": result.row_counts.get("requests"),
            "total_usd": str(total)}


def child_pricecheck() -> dict:
    matching, report = compare_prices(MAX_PROMPT)
    return {"matching": matching, "report": report}


def child_prepare(work: Path, n: int, models: list[str], keep: bool) -> dict:
    """Generate the requests (JSONL + Parquet) and ingest the JSONL into work/home."""
    import gen_litellm

    from pipelines.ingest import ingest_paths
    from pipelines.paths import Home

    jsonl = work / "spend_logs.jsonl"
    start = time.perf_counter()
    req = gen_litellm.write_jsonl(jsonl, n, seed=11, models=models)
    req.select("request_id", "model", "prompt_tokens", "completion_tokens",
               "cache_read_input_tokens", "cache_creation_input_tokens"
               ).write_parquet(work / "requests.parquet")
    generate_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = ingest_paths([jsonl], Home(work / "home"), source="litellm")[0]
    ingest_seconds = time.perf_counter() - start
    if not keep:
        jsonl.unlink()
    return {"generate_seconds": generate_seconds, "ingest_seconds": ingest_seconds,
            "records_loaded": result.records_loaded,
            "records_quarantined": result.records_quarantined}


def child_compare(llm_costs: Path, lite_costs: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    row = con.execute(
        f"SELECT count(*), count(a.request_id), count(b.request_id), "
        f"       max(abs(a.cost_usd::DOUBLE - b.litellm_cost)), "
        f"       count(*) FILTER (WHERE abs(a.cost_usd::DOUBLE - b.litellm_cost) > 1e-9 "
        f"                          OR a.cost_usd IS NULL OR b.litellm_cost IS NULL) "
        f"FROM read_parquet('{_sql_path(llm_costs)}') a "
        f"FULL JOIN read_parquet('{_sql_path(lite_costs)}') b USING (request_id)"
    ).fetchall()[0]
    con.close()
    return {"joined": row[0], "llmcost_rows": row[1], "litellm_rows": row[2],
            "max_abs_diff_usd": row[3], "requests_differing_over_1e-9": row[4],
            "duckdb": duckdb.__version__}


def run_child(cmd: list[str], env: dict | None = None) -> dict:
    """Run a step in a fresh process; returns its last JSON line plus peak RSS (os.wait4).

    Linux carries the parent's RSS high-water mark over fork+exec into the child's ru_maxrss,
    so this parent stays small: every heavy step (even unmeasured ones) is a child."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=ROOT, env=env)
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"step failed: {' '.join(cmd)}")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # whole child, imports included
    result["loadavg_1m_after"] = os.getloadavg()[0]
    return result


def self_child(step: str, *args: str) -> dict:
    return run_child([sys.executable, str(Path(__file__).resolve()), "--child", step, *args])


# -- parent -----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="llmcost pricing benchmark vs LiteLLM")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep generated files in bench/out")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        step, *rest = args.child
        if step == "priced":
            out = child_priced(Path(rest[0]), Path(rest[1]))
        elif step == "build":
            out = child_build(Path(rest[0]))
        elif step == "pricecheck":
            out = child_pricecheck()
        elif step == "prepare":
            out = child_prepare(Path(rest[0]), int(rest[1]), rest[3].split(","),
                                rest[2] == "keep")
        elif step == "compare":
            out = child_compare(Path(rest[0]), Path(rest[1]))
        else:
            raise SystemExit(f"unknown child step {step}")
        print(json.dumps(out))
        return out

    n = args.requests
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="pricing_", dir=OUT))
    report: dict = {"benchmark": "pricing", "requests": n,
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    try:
        print(f"== pricing {n:,} requests", flush=True)
        load = report["loadavg_1m_at_start"] = os.getloadavg()[0]
        print(f"  load average (1 min) before start: {load:.2f} on {os.cpu_count()} CPUs"
              + ("  <- other work is running: timings will be noisy" if load > 0.5 else ""))
        try:
            ensure_litellm_venv()
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            print(f"  LiteLLM unavailable: {exc}")
            report["litellm_error"] = str(exc)
            (OUT / "bench_pricing.json").write_text(json.dumps(report, indent=2))
            raise SystemExit(1) from None

        # 1. prices that agree
        check = self_child("pricecheck")
        matching, price_report = check["matching"], check["report"]
        report["price_check"] = price_report
        for row in price_report:
            mark = "same" if row["matches"] else "DIFFERENT -> left out: " + "; ".join(
                row["problems"])
            print(f"  price check {row['model']:<18} {mark}")
        if not matching:
            raise SystemExit("no model is priced identically by LiteLLM and prices.csv")

        # 2.-3. generate and ingest (not measured)
        prep = self_child("prepare", str(work), str(n), "keep" if args.keep else "drop",
                          ",".join(matching))
        report["prepare"] = prep
        print(f"  generated in {prep['generate_seconds']:.1f}s, ingested "
              f"{prep['records_loaded']:,} requests in {prep['ingest_seconds']:.1f}s "
              "(not measured)", flush=True)
        if prep["records_loaded"] != n:
            raise SystemExit(f"ingest loaded {prep['records_loaded']} of {n} requests")
        home_dir = work / "home"
        requests_parquet = work / "requests.parquet"

        # 4. llmcost
        llm_costs = work / "llmcost_costs.parquet"
        priced = self_child("priced", str(home_dir), str(llm_costs))
        print(f"  llmcost priced query   {priced['seconds']:8.2f}s "
              f"(every column: {priced['wide_seconds']:.2f}s)", flush=True)
        build = self_child("build", str(home_dir))
        print(f"  llmcost build(requests){build['seconds']:8.2f}s", flush=True)

        # 5. LiteLLM
        lite_costs = work / "litellm_costs.parquet"
        lite_summary = work / "litellm_summary.json"
        lite = run_child([str(LITELLM_PY), str(BENCH / "litellm_loop.py"), "loop",
                          "--requests", str(requests_parquet), "--out", str(lite_costs),
                          "--summary", str(lite_summary)], env=_litellm_env())
        lite.update(json.loads(lite_summary.read_text()))
        print(f"  litellm cost_per_token {lite['seconds']:8.2f}s "
              f"({lite['per_request_us']:.0f} us/request, litellm {lite['litellm_version']})",
              flush=True)

        # 6. compare
        per_request = self_child("compare", str(llm_costs), str(lite_costs))
        report["machine"]["duckdb"] = per_request.pop("duckdb")
        ours_total = Decimal(priced["total_usd"])
        theirs_total = Decimal(repr(lite["total_usd"]))
        diff = ours_total - theirs_total
        report.update({
            "models": matching,
            "llmcost_priced_query": priced,
            "llmcost_build": build,
            "litellm": lite,
            "speedup_query": lite["seconds"] / priced["seconds"],
            "speedup_query_wide": lite["seconds"] / priced["wide_seconds"],
            "speedup_build": lite["seconds"] / build["seconds"],
            "total_llmcost_usd": str(ours_total),
            "total_litellm_usd": str(theirs_total),
            "total_difference_usd": str(diff),
            "match_to_the_cent": abs(diff) < Decimal("0.005")
            and round(ours_total, 2) == round(theirs_total, 2),
            "build_total_equals_query_total": Decimal(build["total_usd"]) == ours_total,
            "per_request": per_request,
        })
        print_report(report)
        out = OUT / "bench_pricing.json"
        out.write_text(json.dumps(report, indent=2, default=str))
        print(f"results: {out.relative_to(ROOT)}")
        return report
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def print_report(r: dict) -> None:
    q, b, lite = r["llmcost_priced_query"], r["llmcost_build"], r["litellm"]
    print()
    print(f"{'requests':>10} {'llmcost s':>10} {'build s':>8} {'litellm s':>10} "
          f"{'speed-up':>9} {'(build)':>8}")
    print(f"{r['requests']:>10,} {q['seconds']:>10.2f} {b['seconds']:>8.2f} "
          f"{lite['seconds']:>10.2f} {r['speedup_query']:>8.0f}x {r['speedup_build']:>7.0f}x")
    print(f"\ntotal llmcost ${Decimal(r['total_llmcost_usd']):,.6f}   "
          f"litellm ${Decimal(r['total_litellm_usd']):,.6f}   "
          f"difference ${float(Decimal(r['total_difference_usd'])):+.1e}   "
          f"{'match to the cent' if r['match_to_the_cent'] else 'DO NOT MATCH to the cent'}")
    print(f"\n{'model':<20} {'requests':>9} {'llmcost $':>16} {'litellm $':>16} {'diff $':>14}")
    for model in r["models"]:
        ours = q["per_model"].get(model, {})
        theirs = lite["per_model"].get(model, {})
        o = Decimal(ours.get("total_usd") or "0")
        t = Decimal(repr(theirs.get("total_usd", 0.0)))
        print(f"{model:<20} {ours.get('requests', 0):>9,} {o:>16,.6f} {t:>16,.6f} "
              f"{float(o - t):>+14.1e}")
    pr = r["per_request"]
    print(f"\nper request: {pr['joined']:,} joined, max |difference| "
          f"${pr['max_abs_diff_usd']:.3g}, {pr['requests_differing_over_1e-9']} differ by more "
          f"than $1e-9; unpriced in llmcost: "
          f"{sum(m['unpriced'] for m in q['per_model'].values())}")
    print(f"the same query with every request column (SELECT *): {q['wide_seconds']:.2f}s = "
          f"{r['speedup_query_wide']:.0f}x")
    verdict = "meets" if r["speedup_query"] >= TARGET_SPEEDUP else "MISSES"
    print(f"headline speed-up {r['speedup_query']:.0f}x -> {verdict} the >= "
          f"{TARGET_SPEEDUP:.0f}x target")


if __name__ == "__main__":
    main()
