"""Benchmark the routing replay on N synthetic requests x 3 policies (rule, classifier,
weighted).

    python bench/bench_routing.py --requests 1000000

Builds a data home whose ``requests`` table has the columns the routing SQL reads (30 days,
6 features, 5 models, Anthropic cache reads, 20 % of prompts with their text opted in), writes a
``savings.toml`` with three policies that claim most of the traffic, then times
``routing.prepare`` + ``routing.write_marts`` (match, score, price the targets, cost, A/B,
the two marts) against a baseline in the same run: DuckDB's own group-by of the same table's
spend by day, team, feature and model. Target (issue 12): under 30 s for 1M x 3 policies on
2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines import db  # noqa: E402
from pipelines.paths import Home  # noqa: E402
from pipelines.routing import simulate as routing  # noqa: E402
from pipelines.savings import config as savings_config  # noqa: E402

SETTINGS = """
[routing]
output_length_ratio = [0.75, 1.0, 1.5]
cold_cache = "uncached"

[[routing.policies]]
name = "summaries-to-haiku"
kind = "rule"
when = { feature = { "$in" = ["summarizer", "triage"] }, input_tokens = { "$lte" = 20000 } }
from = ["anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-6"]
to = "anthropic/claude-haiku-4-5"

[[routing.policies]]
name = "complexity"
kind = "classifier"
scorer = "default"
from = ["openai/gpt-5"]
to = "openai/gpt-5-mini"
strong_share = 0.3

[[routing.policies]]
name = "canary"
kind = "weighted"
from = ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"]
targets = [{ model = "openai/gpt-4o", weight = 80 }, { model = "openai/gpt-4o-mini", weight = 20 }]
"""
FEATURES = [("support", "summarizer"), ("support", "triage"), ("support", "bot"),
            ("platform", "agent"), ("platform", "review"), ("search", "answers")]
MODELS = [("anthropic", "claude-sonnet-4-5", 3.0, 0.3, 15.0),
          ("anthropic", "claude-sonnet-4-6", 3.0, 0.3, 15.0),
          ("anthropic", "claude-haiku-4-5", 1.0, 0.1, 5.0),
          ("openai", "gpt-5", 1.25, 0.125, 10.0),
          ("openai", "gpt-4o", 2.5, 1.25, 10.0)]
WORDS = ["explain", "why", "refund", "the", "def", "return", "order", "step by step", "hello",
         "matrix", "invoice", "prove", "compare", "ticket", "2 + 2", "thanks", "please"]


def build_home(root: Path, n: int) -> Home:
    rng = np.random.default_rng(12)
    home = Home(root / "home")
    home.ensure()
    (home.root / "savings.toml").write_text(SETTINGS)
    feature = rng.integers(0, len(FEATURES), n)
    model = rng.integers(0, len(MODELS), n)
    day = rng.integers(0, 30, n)
    input_tokens = np.minimum(rng.lognormal(7.5, 1.0, n).astype(np.int64) + 20, 180_000)
    anthropic = np.array([m[0] == "anthropic" for m in MODELS])[model]
    cache_read = np.where(anthropic & (rng.random(n) < 0.5),
                          (input_tokens * rng.uniform(0.3, 0.9, n)).astype(np.int64), 0)
    output_tokens = rng.lognormal(5.5, 0.8, n).astype(np.int64) + 1
    price = np.array([m[2:] for m in MODELS]) / 1e6
    cost = ((input_tokens - cache_read) * price[model, 0] + cache_read * price[model, 1]
            + output_tokens * price[model, 2])
    has_text = rng.random(n) < 0.2
    # 20 % of requests opted in to prompt text: a few words each, built vectorised by index.
    picks = rng.integers(0, len(WORDS), (int(has_text.sum()), 6))
    words = np.array(WORDS, dtype=object)[picks]
    texts = [" ".join(row) for row in words.tolist()]
    text_column = np.full(n, None, dtype=object)
    text_column[has_text] = texts
    frame = pa.table({
        "source": pa.array(["bench"] * n),
        "request_id": pa.array(np.char.add("r", np.arange(n).astype(str))),
        "usage_date": pa.array(np.datetime64("2026-10-01") + day.astype("timedelta64[D]")),
        "team": pa.array([FEATURES[f][0] for f in feature]),
        "feature": pa.array([FEATURES[f][1] for f in feature]),
        "provider": pa.array([MODELS[m][0] for m in model]),
        "model": pa.array([MODELS[m][1] for m in model]),
        "input_tokens": pa.array(input_tokens),
        "cache_read_input_tokens": pa.array(cache_read),
        "output_tokens": pa.array(output_tokens),
        "cost_usd": pa.array(cost),
        "last_user_tokens": pa.array(np.where(has_text, rng.integers(5, 400, n), None)),
        "message_count": pa.array(rng.integers(1, 12, n)),
        "has_tools": pa.array(rng.random(n) < 0.3),
        "prompt_text": pa.array(text_column.tolist(), pa.string()),
        "status": pa.array(np.where(rng.random(n) < 0.02, "failure", "success")),
    })
    con = db.connect(home.warehouse)
    con.register("bench_requests", frame)
    con.execute("""
        CREATE OR REPLACE TABLE requests AS SELECT *,
            'standard' AS service_tier, false AS is_gateway_cache_hit, true AS is_priced,
            input_tokens - cache_read_input_tokens AS uncached_input_tokens,
            0::BIGINT AS cache_creation_5m_input_tokens,
            0::BIGINT AS cache_creation_1h_input_tokens,
            0.0 AS tool_cost_usd
        FROM bench_requests""")
    con.close()
    return home


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        home = build_home(Path(tmp), args.requests)
        setup = time.perf_counter() - started
        cfg = savings_config.load(home.root).routing
        con = db.connect(home.warehouse)
        started = time.perf_counter()
        con.execute("SELECT usage_date, team, feature, provider, model, sum(cost_usd), "
                    "count(*) FROM requests GROUP BY ALL").fetchall()
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        routing.prepare(con, home, cfg)
        prepared = time.perf_counter() - started
        routing.write_marts(con)
        total = time.perf_counter() - started
        matched = con.execute("SELECT count(*) FROM routing_matched").fetchall()[0][0]
        rows = con.execute("SELECT policy, sum(eligible_requests), round(sum(routed_requests)), "
                           "round(sum(saved_usd), 2) FROM routing_opportunities GROUP BY policy "
                           "ORDER BY policy").fetchall()
        con.close()
    figures = {"requests": args.requests, "policies": len(cfg.policies),
               "matched_requests": matched, "setup_s": round(setup, 2),
               "baseline_groupby_s": round(baseline, 3), "routing_prepare_s": round(prepared, 2),
               "routing_total_s": round(total, 2),
               "ratio_to_baseline": round(total / baseline, 1), "target_s": 30,
               "met": total < 30}
    print(f"routing replay: {args.requests:,} requests x {len(cfg.policies)} policies "
          f"({matched:,} matched) in {total:.2f} s (candidates {prepared:.2f} s); baseline "
          f"group-by {baseline:.3f} s -> {total / baseline:.1f}x; target < 30 s: "
          f"{'met' if total < 30 else 'NOT met'}")
    for policy, eligible, routed, saved in rows:
        print(f"  {policy}: eligible {eligible:,}, routed {routed:,.0f}, saved ${saved:,.2f}")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"routing_{args.requests}.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
