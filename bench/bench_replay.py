"""Cache replays at scale: exact, semantic (candidate search + threshold sweep) and prefix.

    .venv/bin/python bench/bench_replay.py [--requests 1000000] [--semantic-requests N]
                                           [--skip exact semantic prefix]

Synthetic but shaped like a month of production traffic (seeded, so runs are reproducible):

* 30 days of request times (uniform; ties allowed), 60 scopes (API key x model) with skewed
  sizes (share ~ 1/rank^0.8), 90% of requests eligible for caching;
* exact: Zipf(1.2)-distributed prompt keys per scope, so a few prompts repeat a lot and most
  never repeat; replayed with TTL 1 h and 24 h, unlimited and with 1,000 entries per scope;
* semantic: 256-d float32 unit vectors in 200 partitions (same skew). Each partition has a
  topic direction so unrelated prompts of an app are mildly similar (cosine ~0.25); 20% of
  requests are near-duplicates in two scenarios: `rephrased` (of an original asked ~6 h
  earlier, cosine uniform in [0.8, 1]) and `popular` (of one of 20 FAQ-style hot prompts per
  partition, cosine in [0.93, 1]: big tight clusters, the fallback's worst case). Candidates:
  k=16 within 24 h, then a 9-threshold sweep at TTL 24 h;
* prefix: conversations of ~15 requests living within a 30-minute window, each request a chain
  of system prompt + its turns so far (~8 levels), breakpoints at the system prompt and at the
  end of the prompt; replayed Anthropic-style (5 min, refreshed, min 1024) and OpenAI-style
  (10 min, min 1024, 128-token increments).

Each step is timed around the call only (inputs already in memory as numpy arrays). Results
go to bench/out/bench_replay.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT))

from pipelines.savings.replay_exact import exact_replay  # noqa: E402
from pipelines.savings.replay_prefix import prefix_replay  # noqa: E402
from pipelines.savings.replay_semantic import (  # noqa: E402
    semantic_candidates,
    semantic_replay,
)

DAYS = 30
HOUR = 3600
THRESHOLDS = [0.75, 0.80, 0.85, 0.88, 0.90, 0.92, 0.95, 0.97, 0.99]
DIM = 256


def skewed_groups(rng, n: int, groups: int) -> np.ndarray:
    share = 1.0 / np.arange(1, groups + 1) ** 0.8
    return rng.choice(groups, size=n, p=share / share.sum()).astype(np.int64)


def request_times(rng, n: int) -> np.ndarray:
    return np.sort(rng.integers(0, DAYS * 86400, n)).astype(np.int64)


def timed(label: str, n: int, rows: list, call):
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    rows.append({"step": label, "requests": n, "seconds": round(seconds, 3),
                 "requests_per_s": round(n / seconds)})
    print(f"  {label:<44} {seconds:9.2f} s {n / seconds:12,.0f} req/s", flush=True)
    return result


def bench_exact(rng, n: int, rows: list, notes: dict) -> None:
    times = request_times(rng, n)
    scope = skewed_groups(rng, n, 60)
    key = (np.minimum(rng.zipf(1.2, n), 10**9) * 1_000_003 + scope).astype(np.uint64)
    eligible = rng.random(n) < 0.9
    for ttl in (HOUR, 24 * HOUR):
        for capacity in (None, 1000):
            label = f"exact ttl={ttl // HOUR}h capacity={capacity or 'none'}"
            result = timed(label, n, rows, lambda ttl=ttl, capacity=capacity: exact_replay(
                times, scope, key, eligible, ttl=ttl, capacity=capacity))
            notes[label] = {"hit_rate": round(float(result.hit.mean()), 4)}
    label = "exact ttl=1h capacity=1000 refresh_on_hit"
    result = timed(label, n, rows, lambda: exact_replay(
        times, scope, key, eligible, ttl=HOUR, capacity=1000, refresh_on_hit=True))
    notes[label] = {"hit_rate": round(float(result.hit.mean()), 4)}


def unit_rows(rng, topics: np.ndarray, topic_of: np.ndarray) -> np.ndarray:
    """Random prompts of the given partitions' topics (cosine ~0.25 within a partition)."""
    rows = rng.standard_normal((topic_of.size, DIM), dtype=np.float32) / np.sqrt(DIM)
    rows += 0.6 * topics[topic_of]
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def semantic_inputs(rng, n: int, scenario: str):
    """`rephrased`: a near-duplicate rephrases an original of its partition asked a few hours
    earlier (exponential, mean 6 h; the partition's last original at or before that moment).
    `popular`: it rephrases one of its partition's 20 FAQ-style hot prompts, picked with
    Zipf(1.1) popularity, tightly (cosine to the hot prompt >= 0.93, so >= 0.86 between two
    rephrasings): big clusters of mutual near-duplicates, mostly hits, which fill each other's
    top-k lists and send requests to the exact fallback."""
    times = request_times(rng, n)
    partition = skewed_groups(rng, n, 200)
    topics = rng.standard_normal((200, DIM)).astype(np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    emb = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):  # chunks keep the temporaries small
        emb[start : start + 100_000] = unit_rows(rng, topics, partition[start : start + 100_000])
    duplicate = rng.random(n) < 0.2
    targets = np.flatnonzero(duplicate)
    if scenario == "rephrased":
        span = DAYS * 86400 * 4
        originals = np.flatnonzero(~duplicate)
        original_keys = partition[originals] * span + times[originals]
        order = np.argsort(original_keys, kind="stable")
        original_keys, originals = original_keys[order], originals[order]
        wanted = partition[targets] * span + times[targets] - rng.exponential(6 * HOUR,
                                                                               targets.size)
        found = np.searchsorted(original_keys, wanted.astype(np.int64), side="right") - 1
        valid = (found >= 0) & (original_keys[np.maximum(found, 0)] // span
                                == partition[targets])
        targets, base, base_index = targets[valid], emb, originals[found[valid]]
    else:
        hot_per_partition = 20
        base = unit_rows(rng, topics, np.repeat(np.arange(200), hot_per_partition))
        share = 1.0 / np.arange(1, hot_per_partition + 1) ** 1.1
        rank = rng.choice(hot_per_partition, targets.size, p=share / share.sum())
        base_index = partition[targets] * hot_per_partition + rank
    cosine = rng.uniform(0.8 if scenario == "rephrased" else 0.93, 1.0, targets.size)
    scale = np.sqrt((1 / cosine**2 - 1) / DIM).astype(np.float32)
    for start in range(0, targets.size, 100_000):
        part = slice(start, start + 100_000)
        noisy = base[base_index[part]] + scale[part, None] * rng.standard_normal(
            (scale[part].size, DIM), dtype=np.float32)
        emb[targets[part]] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    eligible = rng.random(n) < 0.9
    return times, partition, emb, eligible, int(targets.size)


def bench_semantic(rng, n: int, rows: list, notes: dict, scenario: str) -> None:
    start = time.perf_counter()
    times, partition, emb, eligible, duplicates = semantic_inputs(rng, n, scenario)
    print(f"  (semantic {scenario} inputs generated in {time.perf_counter() - start:.1f} s: "
          f"{n:,} x {DIM} float32, {duplicates:,} near-duplicates)", flush=True)
    ttl = 24 * HOUR
    candidates = timed(f"semantic {scenario} candidates k=16 ttl=24h", n, rows,
                       lambda: semantic_candidates(times, partition, emb, eligible, ttl=ttl,
                                                   k=16))
    results = timed(f"semantic {scenario} sweep of {len(THRESHOLDS)} thresholds", n, rows,
                    lambda: semantic_replay(times, partition, emb, eligible, candidates,
                                            THRESHOLDS, ttl=ttl))
    notes[f"semantic {scenario}"] = {
        "near_duplicates": duplicates,
        "candidates": int(candidates.idx.size),
        "complete_share": round(float(candidates.complete.mean()), 4),
        "per_threshold": {
            str(threshold): {"hit_rate": round(float(result.hit.mean()), 4),
                             "fallbacks": result.fallbacks}
            for threshold, result in results.items()
        },
    }
    for threshold, result in results.items():
        print(f"    threshold {threshold:.2f}: hit rate {result.hit.mean():.3f}, "
              f"fallbacks {result.fallbacks:,}")


def prefix_inputs(rng, n: int):
    times = request_times(rng, n)
    # About 15 requests per conversation, so ~8 levels per request on average.
    per_window = max(1, round(n / (DAYS * 48) / 15))
    conversation = times // 1800 * per_window + rng.integers(0, per_window, n)
    order = np.argsort(conversation, kind="stable")
    sorted_conv = conversation[order]
    first = np.searchsorted(sorted_conv, sorted_conv, side="left")
    turn = np.empty(n, dtype=np.int64)
    turn[order] = np.arange(n) - first
    scope = (conversation * 2654435761 % 60).astype(np.int64)
    system = scope * 4 + rng.integers(0, 4, n)  # a few system prompts per app
    system_tokens = 900 + (system * 7919 % 2500)
    lengths = turn + 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    level = np.arange(indptr[-1]) - np.repeat(indptr[:-1], lengths)
    owner = np.repeat(np.arange(n), lengths)
    mixed = (conversation[owner] * 1_000_003 + level).astype(np.uint64)
    message_hash = ((mixed * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(1)).astype(np.int64)
    level_hash = np.where(level == 0, system[owner], message_hash).astype(np.int64)
    message_tokens = np.where(level == 0, system_tokens[owner], 60 + message_hash % 600)
    cumulative = np.cumsum(message_tokens)
    level_tokens = cumulative - np.repeat(cumulative[indptr[:-1]] - message_tokens[indptr[:-1]],
                                          lengths)
    breakpoint_ = (level == 0) | (level == np.repeat(turn, lengths))
    return times, scope, indptr, level_hash, level_tokens, breakpoint_


def bench_prefix(rng, n: int, rows: list, notes: dict) -> None:
    times, scope, indptr, hashes, tokens, breakpoints = prefix_inputs(rng, n)
    print(f"  (prefix inputs: {indptr[-1] / n:.1f} levels per request)", flush=True)
    runs = {
        "prefix anthropic ttl=5m min=1024": dict(ttl=300, min_tokens=1024),
        "prefix openai ttl=10m min=1024 step=128": dict(ttl=600, min_tokens=1024,
                                                         increment=(1024, 128)),
    }
    for label, options in runs.items():
        result = timed(label, n, rows, lambda options=options: prefix_replay(
            times, scope, indptr, hashes, tokens, breakpoints, **options))
        prompt = tokens[indptr[1:] - 1].sum()
        notes[label] = {"read_share_of_prompt_tokens": round(result.read_tokens.sum() / prompt, 4),
                        "levels_per_request": round(indptr[-1] / n, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--semantic-requests", type=int, default=None,
                        help="size of the semantic part (default: --requests)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["exact", "semantic", "prefix"])
    args = parser.parse_args()
    rows: list = []
    notes: dict = {}
    print(f"replay benchmark, {args.requests:,} requests, {platform.processor() or 'cpu'}")
    if "exact" not in args.skip:
        bench_exact(np.random.default_rng(1), args.requests, rows, notes)
    if "prefix" not in args.skip:
        bench_prefix(np.random.default_rng(3), args.requests, rows, notes)
    if "semantic" not in args.skip:
        for scenario in ("rephrased", "popular"):
            bench_semantic(np.random.default_rng(2), args.semantic_requests or args.requests,
                           rows, notes, scenario)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{'step':<46} {'requests':>10} {'seconds':>9} {'req/s':>12}")
    for row in rows:
        print(f"{row['step']:<46} {row['requests']:>10,} {row['seconds']:>9.2f} "
              f"{row['requests_per_s']:>12,}")
    print(f"peak RSS {peak_mb:,.0f} MB")
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_replay.json").write_text(json.dumps(
        {"requests": args.requests, "steps": rows, "notes": notes, "peak_rss_mb": round(peak_mb)},
        indent=2))


if __name__ == "__main__":
    main()
