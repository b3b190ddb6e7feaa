"""How precise is a semantic-cache hit at cosine threshold t? Calibrated on labelled question pairs.

Request logs carry no correctness labels, so the semantic-cache replay can only *estimate* the
share of its hits that would have returned a right answer, from this calibration of the same
embedder on Quora Question Pairs (``text_a``, ``text_b``, ``label`` 1 = duplicate).

Replay protocol (GPTCache's QQP benchmark shape, with AWS's and vCache's metrics):

1. Duplicate clusters: union-find over every label-1 pair, so a~b and b~c put a and c together.
   A label-0 pair can end up inside one cluster through other pairs (QQP's labels are noisy);
   the replay trusts the clusters, the pairwise view trusts the labels.
2. Index every distinct ``text_a`` (the cache: earlier questions with stored answers).
3. Query with every distinct ``text_b``, once each: QQP's sampler drew some questions into many
   pairs, and counting per pair would weight them by that, not by anything about traffic.
   A query byte-identical to an indexed text is an *exact* hit: counted separately
   (``exact_queries`` in the summary) and left out, because the replay answers those with the
   exact-match cache and only the rest reach the semantic one.
4. Top-1 indexed text by cosine, exact search (numpy matmul in blocks). The winner's cosine is
   recomputed in float64 from the stored vectors, so whether it clears a threshold does not
   depend on the BLAS kernel (which row wins a near-tie still could, on another machine).
5. Per threshold t: hit = top-1 cosine >= t; correct hit = the matched text is in the query's
   duplicate cluster. ``hit_rate`` = hits / queries, ``hit_precision`` = correct hits / hits
   (AWS's "accuracy of cached responses"), ``false_hit_rate`` = wrong hits / queries (vCache's
   "error rate").
6. The precision depends on the share of queries that *could* hit correctly: only about a third
   of QQP's dev queries have a duplicate among the indexed texts (most ``text_b`` of label-0
   pairs have none), while GPTCache's positives-only replay makes every query answerable. So
   each row also counts the *answerable* queries (cluster has an indexed text) and their hits.
   Every correct hit is an answerable one, and every hit of an unanswerable query is wrong. A
   caller who assumes another answerable share a can re-weight: precision =
   a*Ca / (a*Ha + (1-a)*Hu), with Ca, Ha the correct-hit and hit rates among answerable queries
   and Hu the hit rate among the others.

Pairwise view: cosine of every labelled pair, ROC-AUC (Mann-Whitney with average ranks for
ties) and precision / recall of "cosine >= t" against the labels. QQP negatives are hard (same
topic, different question), which is where a threshold has to do its work.

Rates are rounded to 6 decimals when computed, so a CSV written and read back compares equal.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

import numpy as np

from pipelines.savings.embedder import MAX_CHARS, Embedder

DEFAULT_THRESHOLDS = (0.75, 0.80, 0.85, 0.88, 0.90, 0.92, 0.95, 0.97, 0.99)
CALIBRATION_DIR = Path(__file__).resolve().parent / "calibration"
PROTOCOL = "qqp-top1-replay-v1"
SEARCH_BLOCK = 1024
CSV_COLUMNS = (
    "embedder", "dataset", "threshold", "queries", "hits", "hit_rate", "correct_hits",
    "hit_precision", "false_hit_rate", "pair_precision", "pair_recall",
    "answerable_queries", "answerable_hits",
)
_INT_COLUMNS = {"queries", "hits", "correct_hits", "answerable_queries", "answerable_hits"}
_TEXT_COLUMNS = {"embedder", "dataset"}


class Pair(NamedTuple):
    text_a: str
    text_b: str
    label: int


class CalibrationMissing(FileNotFoundError):
    """No shipped calibration for an embedder: its hit precision is unknown, not guessed."""


@dataclass(frozen=True)
class Calibration:
    """One row per threshold (``CSV_COLUMNS``) plus data-set-level numbers in ``summary``."""

    embedder: str
    dataset: str
    rows: tuple[dict, ...]
    summary: dict


def load_pairs(path: str | Path) -> list[Pair]:
    """Labelled pairs from JSON lines, gzip-compressed if the name ends in ``.gz``."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    pairs = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            label = record["label"]
            if label not in (0, 1) or isinstance(label, bool):
                raise ValueError(f"{path}:{line_no}: label must be 0 or 1, got {label!r}")
            pairs.append(Pair(record["text_a"], record["text_b"], int(label)))
    return pairs


def pairs_sha256(pairs: Iterable[Pair]) -> str:
    """A content hash of the pairs, independent of file compression or key order."""
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(json.dumps(list(pair), ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def duplicate_clusters(pairs: Sequence[Pair]) -> dict[str, int]:
    """Cluster id of every text in ``pairs``: union-find over the label-1 pairs. Ids are
    numbered in order of first appearance, so they are the same on every run."""
    parent: dict[str, str] = {}

    def find(text: str) -> str:
        root = text
        while parent[root] != root:
            root = parent[root]
        while parent[text] != root:
            parent[text], text = root, parent[text]
        return root

    for pair in pairs:
        parent.setdefault(pair.text_a, pair.text_a)
        parent.setdefault(pair.text_b, pair.text_b)
        if pair.label == 1:
            root_a, root_b = find(pair.text_a), find(pair.text_b)
            if root_a != root_b:
                parent[root_b] = root_a
    ids: dict[str, int] = {}
    clusters: dict[str, int] = {}
    for text in parent:
        clusters[text] = ids.setdefault(find(text), len(ids))
    return clusters


def top1(queries: np.ndarray, index: np.ndarray,
         block: int = SEARCH_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Exact nearest indexed row by inner product for every query row: (positions, cosines).
    On ties the lowest position wins."""
    if len(index) == 0:
        raise ValueError("the index is empty")
    positions = np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), block):
        scores = queries[start : start + block] @ index.T
        positions[start : start + block] = scores.argmax(axis=1)
    cosines = _rowwise_cosine(queries, index[positions])
    return positions, cosines


def _rowwise_cosine(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", left.astype(np.float64), right.astype(np.float64))


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("ROC-AUC needs both positive and negative labels")
    order = np.argsort(scores, kind="mergesort")
    ordered = scores[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ordered)) + 1]
    ends = np.r_[starts[1:], len(ordered)]
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.repeat((starts + 1 + ends) / 2.0, ends - starts)
    rank_sum = ranks[labels].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def calibrate(embedder: Embedder, pairs: Sequence[Pair],
              thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
              dataset: str = "qqp") -> Calibration:
    """Run the replay and the pairwise view (module docstring) for one embedder."""
    grid = sorted({float(t) for t in thresholds})
    if not grid or not all(0.0 < t <= 1.0 for t in grid):
        raise ValueError(f"thresholds must lie in (0, 1], got {grid}")
    if not pairs:
        raise ValueError("no pairs to calibrate on")
    clusters = duplicate_clusters(pairs)
    indexed = list(dict.fromkeys(pair.text_a for pair in pairs))
    indexed_set = set(indexed)
    distinct_queries = list(dict.fromkeys(pair.text_b for pair in pairs))
    queries = [text for text in distinct_queries if text not in indexed_set]

    texts = list(dict.fromkeys([*indexed, *distinct_queries]))
    row_of = {text: row for row, text in enumerate(texts)}
    vectors = embedder.embed(texts)

    index_vectors = vectors[[row_of[text] for text in indexed]]
    query_vectors = vectors[[row_of[text] for text in queries]]
    if queries:
        matched, cosines = top1(query_vectors, index_vectors)
    else:
        matched, cosines = np.zeros(0, dtype=np.int64), np.zeros(0)
    query_clusters = np.array([clusters[text] for text in queries], dtype=np.int64)
    index_clusters = np.array([clusters[text] for text in indexed], dtype=np.int64)
    correct = query_clusters == index_clusters[matched]
    answerable = np.isin(query_clusters, index_clusters)

    pair_cosines = _rowwise_cosine(
        vectors[[row_of[pair.text_a] for pair in pairs]],
        vectors[[row_of[pair.text_b] for pair in pairs]],
    )
    labels = np.array([pair.label for pair in pairs], dtype=bool)

    rows = []
    for threshold in grid:
        hit = cosines >= threshold
        hits, correct_hits = int(hit.sum()), int((hit & correct).sum())
        predicted = pair_cosines >= threshold
        true_positives = int((predicted & labels).sum())
        rows.append({
            "embedder": embedder.name,
            "dataset": dataset,
            "threshold": threshold,
            "queries": len(queries),
            "hits": hits,
            "hit_rate": _ratio(hits, len(queries)),
            "correct_hits": correct_hits,
            "hit_precision": _ratio(correct_hits, hits),
            "false_hit_rate": _ratio(hits - correct_hits, len(queries)),
            "pair_precision": _ratio(true_positives, int(predicted.sum())),
            "pair_recall": _ratio(true_positives, int(labels.sum())),
            "answerable_queries": int(answerable.sum()),
            "answerable_hits": int((hit & answerable).sum()),
        })

    both_labels = 0 < labels.sum() < len(labels)
    label0_in_cluster = sum(
        1 for pair in pairs if pair.label == 0 and clusters[pair.text_a] == clusters[pair.text_b]
    )
    summary = {
        "protocol": PROTOCOL,
        "embedder_dim": embedder.dim,
        "max_chars": MAX_CHARS,
        "pairs": len(pairs),
        "positive_pairs": int(labels.sum()),
        "pairs_sha256": pairs_sha256(pairs),
        "distinct_texts": len(texts),
        "duplicate_clusters": len(set(clusters.values())),
        "label0_pairs_in_one_cluster": label0_in_cluster,
        "indexed_texts": len(indexed),
        "distinct_queries": len(distinct_queries),
        "exact_queries": len(distinct_queries) - len(queries),
        "queries": len(queries),
        "roc_auc": round(roc_auc(pair_cosines, labels), 6) if both_labels else None,
    }
    return Calibration(embedder.name, dataset, tuple(rows), summary)


def _sidecar(csv_path: Path) -> Path:
    return csv_path.with_suffix(".json")


def write_calibration(calibration: Calibration, csv_path: str | Path,
                      provenance: dict | None = None) -> Path:
    """The CSV (one row per threshold) and, next to it, ``<name>.json`` with the summary, the
    date and ``provenance`` (e.g. the source file and its sha256)."""
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in calibration.rows:
            writer.writerow({key: "" if row[key] is None else row[key] for key in CSV_COLUMNS})
    sidecar = {
        "embedder": calibration.embedder,
        "dataset": calibration.dataset,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **calibration.summary,
        "provenance": provenance or {},
    }
    _sidecar(csv_path).write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n")
    return csv_path


def read_calibration(csv_path: str | Path) -> Calibration:
    """A calibration CSV and its sidecar JSON, as written by ``write_calibration``."""
    csv_path = Path(csv_path)
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = tuple(_typed(row) for row in csv.DictReader(handle))
    if not rows:
        raise ValueError(f"{csv_path} has no rows")
    summary = json.loads(_sidecar(csv_path).read_text())
    return Calibration(rows[0]["embedder"], rows[0]["dataset"], rows, summary)


def _typed(row: dict[str, str]) -> dict:
    typed: dict = {}
    for key in CSV_COLUMNS:
        value = row[key]
        if key in _TEXT_COLUMNS:
            typed[key] = value
        elif value == "":
            typed[key] = None
        else:
            typed[key] = int(value) if key in _INT_COLUMNS else float(value)
    return typed


def load_calibration(embedder_name: str, directory: str | Path = CALIBRATION_DIR) -> Calibration:
    """The shipped calibration of an embedder; ``CalibrationMissing`` if there is none."""
    path = Path(directory) / f"{embedder_name}.csv"
    if not path.exists():
        shipped = sorted(p.stem for p in Path(directory).glob("*.csv"))
        raise CalibrationMissing(
            f"no calibration for embedder {embedder_name!r} (looked for {path}); its hit "
            f"precision is unknown. Calibrated: {', '.join(shipped) or 'none'}. Create one with "
            f"bench/calibrate_embedder.py --embedder {embedder_name}"
        )
    calibration = read_calibration(path)
    if calibration.embedder != embedder_name:
        raise ValueError(f"{path} holds embedder {calibration.embedder!r}, not {embedder_name!r}")
    return calibration


def estimated_precision(calibration: Calibration, threshold: float) -> float | None:
    """Hit precision at ``threshold``, linear between the two grid points around it.

    None outside the calibrated grid (no extrapolation: below the lowest threshold precision
    keeps falling by an unknown amount) and where a bracketing point had no hits."""
    points = sorted((row["threshold"], row["hit_precision"]) for row in calibration.rows)
    if not points or not points[0][0] <= threshold <= points[-1][0]:
        return None
    for (low_t, low_p), (high_t, high_p) in pairwise(points):
        if threshold == low_t:
            return low_p
        if low_t < threshold <= high_t:
            if threshold == high_t:
                return high_p
            if low_p is None or high_p is None:
                return None
            return low_p + (high_p - low_p) * (threshold - low_t) / (high_t - low_t)
    return points[-1][1]
