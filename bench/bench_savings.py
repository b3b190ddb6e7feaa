"""Benchmark the savings simulations end to end on N synthetic fingerprinted requests.

    python bench/bench_savings.py --requests 1000000 [--embedder NAME]

Builds a real data home: the prices mart from a real build, a `requests` table with the
columns the simulations read (30 days, 12 features, FAQ-style questions with paraphrases and
repeats, shared system prompts, multi-turn sessions), the distinct last-user texts embedded
with the real embedder into the lake's prompt_embeddings. Then runs `simulate.run` and prints
each stage's seconds against the targets of issue 5: exact-match replay of 1M requests < 30 s;
embedding + the whole semantic sweep of 1M prompts < 20 min.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import db, warehouse  # noqa: E402
from pipelines.lake import INGEST_RUNS, PROMPT_EMBEDDINGS  # noqa: E402
from pipelines.paths import Home  # noqa: E402
from pipelines.savings import simulate  # noqa: E402
from pipelines.savings.embedder import get_embedder  # noqa: E402

FEATURES = [(team, feature) for team, features in {
    "support": ("bot", "triage", "summaries"), "search": ("answers", "rewrite"),
    "growth": ("emails", "leads"), "platform": ("agent", "review"),
    "research": ("agent", "doc-qa", "evals")}.items() for feature in features]
MODELS = [("anthropic", "claude-sonnet-4-6", "anthropic/claude-sonnet-4-6/standard/0/2026-02-17",
           3.0, 15.0),
          ("anthropic", "claude-haiku-4-5", "anthropic/claude-haiku-4-5/standard/0/2025-10-15",
           1.0, 5.0),
          ("openai", "gpt-4.1", None, 2.0, 8.0), ("openai", "gpt-5-mini", None, 0.25, 2.0)]
TOPICS = ["password", "refund", "invoice", "shipping", "account", "subscription", "api key",
          "export", "login", "billing address", "plan upgrade", "data deletion", "two-factor",
          "webhook", "rate limit", "team invite", "SSO", "receipt", "trial", "cancellation"]
TEMPLATES = ["How do I change my {t}?", "how can i update the {t}", "What is the process for {t}?",
             "I need help with my {t}, what should I do?", "{t} not working - steps to fix?",
             "Where do I find the {t} settings?"]


def _texts(rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[str]]:
    """Question ids (Zipf over intents x paraphrase x slot) and the distinct texts."""
    intents = len(TOPICS) * 50
    intent = np.minimum(rng.zipf(1.3, n) - 1, intents - 1)
    paraphrase = rng.integers(0, len(TEMPLATES), n)
    unique = rng.random(n) < 0.35  # a third of questions are one-offs
    qid = np.where(unique, intents * len(TEMPLATES) + np.arange(n),
                   intent * len(TEMPLATES) + paraphrase)
    distinct, inverse = np.unique(qid, return_inverse=True)
    texts = []
    for q in distinct.tolist():
        if q >= intents * len(TEMPLATES):
            texts.append(f"Ticket {q}: my {TOPICS[q % len(TOPICS)]} shows error {q * 7 % 9973}")
        else:
            i, p = divmod(q, len(TEMPLATES))
            topic = TOPICS[i % len(TOPICS)] + ("" if i < len(TOPICS) else f" #{i}")
            texts.append(TEMPLATES[p].format(t=topic))
    return inverse, texts


def build_home(root: Path, n: int, embedder_name: str | None) -> tuple[Home, dict]:
    rng = np.random.default_rng(42)
    home = Home(root / "home")
    home.ensure()
    warehouse.build(home)  # the prices mart (and empty marts)
    figures = {}
    t = np.sort(rng.uniform(0, 30 * 86400, n)) + 1_793_000_000
    feature = rng.integers(0, len(FEATURES), n)
    model = rng.integers(0, len(MODELS), n)
    question, texts = _texts(rng, n)
    figures["distinct_texts"] = len(texts)
    started = time.perf_counter()
    embedder = get_embedder(embedder_name)
    vectors = embedder.embed(texts)
    figures["embed_s"] = time.perf_counter() - started
    figures["embed_per_s"] = len(texts) / figures["embed_s"]
    text_hash = np.arange(1, len(texts) + 1, dtype=np.uint64) * np.uint64(2654435761)
    run_id = "bench-embeddings"
    target = home.lake / PROMPT_EMBEDDINGS / "source=bench" / f"{run_id}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    dim = vectors.shape[1]
    pq.write_table(pa.table({
        "text_hash": pa.array(text_hash),
        "embedder": pa.array([embedder.name] * len(texts)),
        "embedding": pa.ListArray.from_arrays(
            pa.array(np.arange(0, len(texts) * dim + 1, dim, dtype=np.int32)),
            pa.array(vectors.reshape(-1).astype(np.float32))),
    }), target)
    marker = home.lake / INGEST_RUNS / f"{run_id}.parquet"
    marker.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"run_id": [run_id]}), marker)

    # Sessions: 30 % of calls continue a conversation (history grows by 2 blocks per turn).
    turns = np.where(rng.random(n) < 0.3, rng.integers(1, 8, n), 0)
    system_tokens = np.array([1200, 2400, 4800, 600, 1500, 900, 3000, 6200, 2600, 7400, 1200,
                              1600])[feature]
    user_tokens = rng.integers(8, 60, n)
    input_tokens = system_tokens + 4 + turns * 160 + user_tokens + 4
    lengths = 2 + 2 * turns
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    total = int(offsets[-1])
    kinds = np.full(total, "assistant", dtype=object)
    hashes = np.zeros(total, np.uint64)
    tokens = np.full(total, 80, np.int64)
    starts = offsets[:-1]
    kinds[starts] = "system"
    tokens[starts] = system_tokens + 4
    hashes[starts] = (feature + 1).astype(np.uint64) * np.uint64(1_000_003)
    ends = offsets[1:] - 1
    kinds[ends] = "user"
    tokens[ends] = user_tokens + 4
    conversation = rng.integers(0, n // 4 + 1, n).astype(np.uint64)
    level = np.arange(total) - np.repeat(starts, lengths)
    owner = np.repeat(np.arange(n), lengths)
    middle = (level > 0) & (level < np.repeat(lengths, lengths) - 1)
    kinds[middle & (level % 2 == 1)] = "user"
    hashes[middle] = (conversation[owner[middle]] * np.uint64(131) + level[middle].astype(
        np.uint64)) * np.uint64(7) + hashes[np.repeat(starts, lengths)][middle]
    hashes[ends] = hashes[starts] ^ (question.astype(np.uint64) * np.uint64(40503))
    blocks = pa.StructArray.from_arrays(
        [pa.array(kinds, pa.string()), pa.array(hashes), pa.array(tokens)],
        names=["kind", "chain_hash", "tokens"])
    segments = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), blocks)
    input_price = np.array([m[3] for m in MODELS])[model] / 1e6
    output_price = np.array([m[4] for m in MODELS])[model] / 1e6
    output_tokens = rng.integers(20, 600, n)
    input_cost = input_tokens * input_price
    cost = input_cost + output_tokens * output_price
    price_ids = [m[2] for m in MODELS]
    con = db.connect(home.warehouse)
    openai_ids = dict(con.execute(
        "SELECT model, any_value(price_id) FROM prices WHERE provider = 'openai' "
        "AND service_tier = 'standard' AND min_input_tokens = 0 AND effective_to IS NULL "
        "GROUP BY model").fetchall())
    price_ids = [pid or openai_ids[m[1]] for pid, m in zip(price_ids, MODELS, strict=True)]
    frame = pa.table({
        "request_id": pa.array([f"b{i}" for i in range(n)]),
        "source": pa.array(["bench"] * n),
        "occurred_at": pa.array((t * 1e6).astype("datetime64[us]")).cast(
            pa.timestamp("us", tz="UTC")),
        "team": pa.array([FEATURES[f][0] for f in feature]),
        "feature": pa.array([FEATURES[f][1] for f in feature]),
        "provider": pa.array([MODELS[m][0] for m in model]),
        "model": pa.array([MODELS[m][1] for m in model]),
        "price_id": pa.array([price_ids[m] for m in model]),
        "session_id": pa.array([None if tr == 0 else f"s{c}" for tr, c in
                                zip(turns.tolist(), conversation.tolist(), strict=True)]),
        "input_tokens": pa.array(input_tokens),
        "output_tokens": pa.array(output_tokens),
        "cache_read_input_tokens": pa.array(np.zeros(n, np.int64)),
        "cost_usd": pa.array(cost),
        "input_cost_usd": pa.array(input_cost),
        "latency_ms": pa.array(rng.uniform(300, 9000, n)),
        "prompt_hash": pa.array(hashes[ends] ^ model.astype(np.uint64)),
        "last_user_hash": pa.array(text_hash[question]),
        "system_prompt_hash": pa.array(hashes[starts]),
        "prefix_hash": pa.array(hashes[ends - 1]),
        "parameters_hash": pa.array(np.where(rng.random(n) < 0.9, 1, 2).astype(np.uint64)),
        "last_user_tokens": pa.array(user_tokens + 4),
        "response_hash": pa.array(question.astype(np.uint64) * np.uint64(97) + model.astype(
            np.uint64)),
        "prompt_segments": segments,
        "prompt_tokens_counted": pa.array(np.add.reduceat(tokens, starts)),
        "temperature": pa.array(np.where(rng.random(n) < 0.2, 0.9, 0.0)),
    })
    con.register("bench_requests", frame)
    con.execute("""
        CREATE OR REPLACE TABLE requests AS SELECT *,
            CAST(occurred_at AS DATE) AS usage_date, 'success' AS status, true AS is_priced,
            false AS is_gateway_cache_hit, false AS is_streaming, false AS has_tool_calls,
            NULL::VARCHAR AS project, NULL::VARCHAR AS api_key_hash,
            0::BIGINT AS cache_creation_input_tokens,
            0.0 AS cache_read_cost_usd, 0.0 AS cache_write_cost_usd
        FROM bench_requests""")
    con.close()
    return home, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--embedder", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        home, figures = build_home(Path(tmp), args.requests, args.embedder)
        setup = time.perf_counter() - started
        started = time.perf_counter()
        result = simulate.run(home, progress=lambda m: print(f"  {m}", file=sys.stderr))
        total = time.perf_counter() - started
    s = result.seconds
    semantic = sum(v for k, v in s.items() if k.startswith("semantic_"))
    print(f"requests: {args.requests:,}  cpus: {os.cpu_count()}  setup {setup:.1f}s")
    print(f"embedding: {figures['distinct_texts']:,} distinct last-user texts in "
          f"{figures['embed_s']:.1f}s = {figures['embed_per_s']:,.0f} prompts/s")
    rows = [("exact-match replay (one scope)", s["exact"], 30.0),
            ("semantic: neighbours + 9-threshold replay x 3 scopes", semantic, None),
            ("embedding + semantic sweep", semantic + figures["embed_s"], 1200.0),
            ("prompt-cache replay", s.get("prompt_cache", 0.0), None),
            ("load + marts", s["load"] + s["marts"], None),
            ("whole simulation (simulate.run)", total, None)]
    for name, seconds, target in rows:
        verdict = "" if target is None else (
            f"  target < {target:,.0f}s: {'met' if seconds < target else 'NOT met'}")
        print(f"{name:<55} {seconds:8.1f}s{verdict}")
    for key in sorted(k for k in s if k.startswith("semantic_")):
        print(f"  {key}: {s[key]:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
