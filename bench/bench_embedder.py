"""Embedding throughput (prompts per second) of every registered embedder, on this machine.

    .venv/bin/python bench/bench_embedder.py [--data PATH] [--limit N]

Workloads, each embedded in one ``embed()`` call after a warm-up (model load timed apart):

* ``qqp``: the distinct questions of the QQP dev pairs (73,191 texts, median 51 characters);
* ``200w`` / ``1000w``: 2,000 and 500 synthetic prompts of ~200 and ~1,000 words, QQP questions
  drawn with a fixed seed and joined until the word count is reached. Every embedder clips a
  text to 2,000 characters (head and tail) first, so 1,000-word prompts cost about as much as
  ~350-word ones;
* ``mixed``: 10,000 prompts, 95 % QQP questions and 5 % ~1,000-word prompts, shuffled - closer to
  a log's last user turns, and the case where batching by length matters.

Runs offline. Results go to bench/out/bench_embedder.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "qqp" / "qqp_pairs_dev.jsonl.gz"

sys.path.insert(0, str(ROOT))

from pipelines.savings import embedder as embedder_module  # noqa: E402
from pipelines.savings.calibration import load_pairs  # noqa: E402


def synthetic_prompts(questions: list[str], words: int, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    prompts = []
    for _ in range(count):
        parts: list[str] = []
        total = 0
        while total < words:
            question = rng.choice(questions)
            parts.append(question)
            total += len(question.split())
        prompts.append(" ".join(parts))
    return prompts


def measure(name: str, workloads: dict[str, list[str]]) -> dict:
    embedder_module._load_wordllama.cache_clear()
    embedder = embedder_module.get_embedder(name)
    started = time.perf_counter()
    embedder.embed(["warm up"])
    result = {"embedder": name, "dim": embedder.dim,
              "first_call_s": round(time.perf_counter() - started, 3)}
    for workload, texts in workloads.items():
        started = time.perf_counter()
        vectors = embedder.embed(texts)
        seconds = time.perf_counter() - started
        assert vectors.shape == (len(texts), embedder.dim)
        result[workload] = {"texts": len(texts), "seconds": round(seconds, 3),
                            "per_second": round(len(texts) / seconds)}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="use only N QQP questions")
    args = parser.parse_args(argv)

    pairs = load_pairs(args.data)
    questions = list(dict.fromkeys(text for pair in pairs for text in (pair.text_a, pair.text_b)))
    questions = questions[: args.limit] if args.limit else questions
    mixed = questions[:9_500] + synthetic_prompts(questions, 1_000, 500, seed=5)
    random.Random(7).shuffle(mixed)
    workloads = {
        "qqp": questions,
        "200w": synthetic_prompts(questions, 200, 2_000, seed=200),
        "1000w": synthetic_prompts(questions, 1_000, 500, seed=1000),
        "mixed": mixed,
    }
    results = [measure(name, workloads) for name in embedder_module.registered_embedders()]

    print(f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}; prompts/second")
    print(f"{'embedder':<28} {'load s':>6}" + "".join(f"{name:>8}" for name in workloads))
    for row in results:
        print(f"{row['embedder']:<28} {row['first_call_s']:>6.2f}"
              + "".join(f"{row[name]['per_second']:>8}" for name in workloads))
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"cpus": os.cpu_count(), "machine": platform.machine(), "results": results}
    (OUT / "bench_embedder.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {OUT / 'bench_embedder.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
