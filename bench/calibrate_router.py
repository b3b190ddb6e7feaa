"""Calibrate a routing scorer on RouteLLM's MMLU labels and write the shipped PGR table.

    .venv/bin/python bench/calibrate_router.py [--scorer NAME] [--data DIR] [--out PATH]

Defaults: the default scorer, ``../shared/datasets/routellm_mmlu`` next to the repository
(``/work/shared/datasets/routellm_mmlu`` as a fallback), Mixtral-8x7B as the weak model and
GPT-4-1106 as the strong one, the contaminated prompts excluded, and
``pipelines/routing/calibration/<scorer>-routellm_mmlu.csv``. The table holds, per strong
share 0, 0.1 ... 1, the scorer's PGR with a 90 % band from 200 prompt bootstraps and the random
and oracle envelope; the routing simulation reads it for its quality bands. Runs offline in
~30 s on 2 cores. Prints the RouteLLM metrics it was computed from.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.routing import evaluate, metrics, scorer  # noqa: E402

WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"
CANDIDATES = (ROOT.parent / "shared" / "datasets" / "routellm_mmlu",
              Path("/work/shared/datasets/routellm_mmlu"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scorer", default=scorer.DEFAULT_SCORER)
    parser.add_argument("--data", type=Path,
                        default=next((p for p in CANDIDATES if p.exists()), CANDIDATES[0]))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = args.out or (ROOT / "pipelines" / "routing" / "calibration"
                       / f"{args.scorer}-routellm_mmlu.csv")
    started = time.perf_counter()
    data = evaluate.read_labelled(str(args.data / "responses"), WEAK, STRONG,
                                  str(args.data / "contaminated_prompts.jsonl"))
    score = evaluate.score_prompts(data.prompts, (args.scorer,))[args.scorer]
    result = metrics.evaluate(data.weak, data.strong, {args.scorer: score})
    print(f"n={result['n']:,} weak={result['weak_accuracy']:.4%} "
          f"strong={result['strong_accuracy']:.4%}")
    for name, router in result["routers"].items():
        print(f"  {name:14s} APGR {router['apgr']:.4f}  CPT(50%) {router['cpt50']:.2%}  "
              f"CPT(80%) {router['cpt80']:.2%}")
    rows = evaluate.calibration_rows(data, args.scorer, "routellm_mmlu")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: round(v, 6) if isinstance(v, float) else v
                             for k, v in row.items()})
    print(f"wrote {out} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
