"""RouteLLM's router metrics, reimplemented from its definitions (``routellm/evals``).

A router gives each prompt a score (its ``strong win rate``); sweeping a threshold over the
score's deciles sends the prompts scoring ``>=`` the edge to the strong model (the last edge
strictly ``>``, so the sweep ends at 0 % strong) and yields points (strong share, accuracy).
From the points:

* PGR (performance gap recovered) of a point = (accuracy - weak) / (strong - weak);
* APGR = (area under accuracy over strong share - weak's area) / (strong's area - weak's
  area), trapezoids over the points sorted by strong share (RouteLLM's ``apgr_metric``);
* CPT(x) = the strong share needed to recover x of the gap: ``np.interp`` of
  weak + x (strong - weak) over the points' accuracies (which, as in RouteLLM, assumes they
  rise with the share).

The oracle knows the answers: at a strong share p it is right on every prompt the weak model
gets right plus min(p n, prompts only the strong model gets right). Random routing is the mean
of 10 seeded sweeps over uniform scores. Shares and accuracies are fractions of 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DECILES = 10
RANDOM_SEEDS = 10
ORACLE_SHARES = tuple(i / 10 for i in range(11))


@dataclass(frozen=True)
class RouterResult:
    points: list[tuple[float, float]]  # (strong share, accuracy), sorted by share
    apgr: float
    cpt50: float
    cpt80: float

    def as_dict(self) -> dict:
        return {"apgr": self.apgr, "cpt50": self.cpt50, "cpt80": self.cpt80,
                "points": [[share, accuracy] for share, accuracy in self.points]}


def decile_edges(scores: np.ndarray, bins: int = DECILES) -> np.ndarray:
    """``pd.qcut(scores, bins, retbins=True)``'s edges (linear quantiles), duplicates kept:
    a discrete score gives equal edges, which qcut refuses and the sweep does not mind."""
    return np.quantile(np.asarray(scores, dtype=np.float64), np.linspace(0.0, 1.0, bins + 1))


def sweep(scores, weak_correct, strong_correct, bins: int = DECILES
          ) -> list[tuple[float, float]]:
    """(strong share, accuracy) at each decile edge, sorted by share."""
    scores = np.asarray(scores, dtype=np.float64)
    weak = np.asarray(weak_correct, dtype=bool)
    strong = np.asarray(strong_correct, dtype=bool)
    edges = decile_edges(scores, bins)
    points = []
    for i, edge in enumerate(edges):
        to_strong = scores >= edge if i != len(edges) - 1 else scores > edge
        accuracy = float(np.where(to_strong, strong, weak).mean())
        points.append((float(to_strong.mean()), accuracy))
    return sorted(points)


def summarise(points, weak_accuracy: float, strong_accuracy: float) -> RouterResult:
    """APGR and CPT(50 %), CPT(80 %) of a curve of (strong share, accuracy) points."""
    points = sorted((float(s), float(a)) for s, a in points)
    shares = np.array([s for s, _ in points])
    accuracies = np.array([a for _, a in points])
    area = float(np.trapezoid(accuracies, shares))
    weak_area = float(np.trapezoid(np.full(len(shares), weak_accuracy), shares))
    strong_area = float(np.trapezoid(np.full(len(shares), strong_accuracy), shares))
    gap = strong_accuracy - weak_accuracy

    def cpt(fraction: float) -> float:
        return float(np.interp(weak_accuracy + fraction * gap, accuracies, shares))

    return RouterResult(points, (area - weak_area) / (strong_area - weak_area),
                        cpt(0.5), cpt(0.8))


def pgr(accuracy: float, weak_accuracy: float, strong_accuracy: float) -> float:
    return (accuracy - weak_accuracy) / (strong_accuracy - weak_accuracy)


def oracle_points(weak_correct, strong_correct, shares=ORACLE_SHARES
                  ) -> list[tuple[float, float]]:
    weak = np.asarray(weak_correct, dtype=bool)
    strong = np.asarray(strong_correct, dtype=bool)
    n = len(weak)
    only_strong = int((strong & ~weak).sum())
    return [(float(p), (int(weak.sum()) + min(p * n, only_strong)) / n) for p in shares]


def random_points(n: int, weak_correct, strong_correct, seeds: int = RANDOM_SEEDS
                  ) -> list[list[tuple[float, float]]]:
    """One sweep per seed over uniform random scores (RouteLLM's random router)."""
    return [sweep(np.random.default_rng(seed).random(n), weak_correct, strong_correct)
            for seed in range(seeds)]


def evaluate(weak_correct, strong_correct, scorers: dict[str, np.ndarray]) -> dict:
    """The metrics for the random router (mean of the seeds), the oracle and each scorer."""
    weak = np.asarray(weak_correct, dtype=bool)
    strong = np.asarray(strong_correct, dtype=bool)
    if len(weak) != len(strong) or len(weak) == 0:
        raise ValueError("weak and strong correctness must be non-empty and the same length")
    w, s = float(weak.mean()), float(strong.mean())
    if s == w:
        raise ValueError("the strong and weak models are equally accurate: no gap to recover")
    runs = [summarise(points, w, s) for points in random_points(len(weak), weak, strong)]
    mean_points = np.mean(np.array([r.points for r in runs]), axis=0)
    random = RouterResult([(float(a), float(b)) for a, b in mean_points],
                          float(np.mean([r.apgr for r in runs])),
                          float(np.mean([r.cpt50 for r in runs])),
                          float(np.mean([r.cpt80 for r in runs])))
    routers = {"random": random, "oracle": summarise(oracle_points(weak, strong), w, s)}
    for name, scores in scorers.items():
        routers[name] = summarise(sweep(scores, weak, strong), w, s)
    return {"n": len(weak), "weak_accuracy": w, "strong_accuracy": s,
            "routers": {name: result.as_dict() for name, result in routers.items()}}
