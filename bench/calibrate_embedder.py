"""Calibrate an embedder's semantic-cache hit precision on QQP and write the shipped table.

    .venv/bin/python bench/calibrate_embedder.py [--embedder NAME] [--data PATH] [--out PATH]
        [--thresholds 0.75 0.8 ...]

Defaults: the default embedder (``pipelines.savings.embedder.get_embedder()``), the QQP dev
pairs at ``../shared/datasets/qqp/qqp_pairs_dev.jsonl.gz`` (next to the repository), and
``pipelines/savings/calibration/<embedder name>.csv`` plus its ``.json`` sidecar. The protocol is
in ``pipelines/savings/calibration.py``. Runs offline; ~15 s for wordllama on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "qqp" / "qqp_pairs_dev.jsonl.gz"
# The upstream file the dev half was cut from (datasets/README.md there).
UPSTREAM = "zilliztech/GPTCache examples/benchmark/similiar_qqp_full.json.gz @ c59fb3a6152a"

sys.path.insert(0, str(ROOT))

from pipelines.savings import calibration  # noqa: E402
from pipelines.savings.embedder import get_embedder  # noqa: E402


def dataset_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default=None, help="registered embedder name")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=None, help="CSV path (sidecar JSON beside)")
    parser.add_argument("--thresholds", type=float, nargs="+",
                        default=list(calibration.DEFAULT_THRESHOLDS))
    args = parser.parse_args(argv)

    embedder = get_embedder(args.embedder)
    out = args.out or calibration.CALIBRATION_DIR / f"{embedder.name}.csv"
    pairs = calibration.load_pairs(args.data)
    started = time.perf_counter()
    result = calibration.calibrate(embedder, pairs, args.thresholds, dataset_name(args.data))
    seconds = time.perf_counter() - started
    provenance = {
        "source_file": args.data.name,
        "source_sha256": file_sha256(args.data),
        "upstream": UPSTREAM,
        "command": "bench/calibrate_embedder.py --embedder " + embedder.name,
    }
    calibration.write_calibration(result, out, provenance)

    summary = result.summary
    print(f"{embedder.name} on {result.dataset}: {summary['pairs']} pairs, "
          f"{summary['indexed_texts']} indexed, {summary['queries']} queries "
          f"(+{summary['exact_queries']} exact), ROC-AUC {summary['roc_auc']}, {seconds:.1f} s")
    print(f"{'threshold':>9} {'hit_rate':>8} {'precision':>9} {'false_hit':>9} "
          f"{'pair_P':>6} {'pair_R':>6}")
    for row in result.rows:
        print(f"{row['threshold']:>9.2f} {_pct(row['hit_rate'])} {_pct(row['hit_precision'], 9)} "
              f"{_pct(row['false_hit_rate'], 9)} {_pct(row['pair_precision'], 6)} "
              f"{_pct(row['pair_recall'], 6)}")
    print(f"wrote {out}")
    return 0


def _pct(value: float | None, width: int = 8) -> str:
    return f"{'-':>{width}}" if value is None else f"{100 * value:>{width - 1}.1f}%"


if __name__ == "__main__":
    raise SystemExit(main())
