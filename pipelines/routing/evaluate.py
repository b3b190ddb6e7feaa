"""``llmcost routing eval``: RouteLLM's router metrics on a labelled per-prompt file, for the
random router, the oracle and every shipped scorer; and the calibration table the routing
simulation reads (PGR against strong share, with a bootstrap band).

Input is RouteLLM's response format: CSV with a ``prompt`` column, one boolean correctness
column per model (optional ``<model>_response`` columns are ignored); a folder or a glob of such
CSVs is read as one set (RouteLLM's MMLU is one file per subject). The exclude file is JSONL
with an ``eval_prompt`` key (RouteLLM's ``contaminated_prompts.jsonl``): those prompts are
dropped before anything is computed.
"""

from __future__ import annotations

import glob
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.routing import metrics, scorer

STRONG_SHARES = tuple(round(i / 10, 1) for i in range(11))


class EvalInputError(ValueError):
    pass


@dataclass(frozen=True)
class Labelled:
    prompts: list[str]
    weak: np.ndarray
    strong: np.ndarray
    files: int
    excluded: int


def _files(path: str) -> list[str]:
    target = Path(path)
    if target.is_dir():
        found = sorted(str(p) for p in target.rglob("*.csv"))
    elif any(ch in path for ch in "*?["):
        found = sorted(glob.glob(path, recursive=True))
    else:
        found = [path] if target.exists() else []
    if not found:
        raise EvalInputError(f"{path}: no CSV files found")
    return found


def _truth(values: list, column: str, file: str) -> np.ndarray:
    out = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values):
        text = str(value).strip().lower()
        if text in ("true", "1", "1.0"):
            out[i] = True
        elif text not in ("false", "0", "0.0"):
            raise EvalInputError(f"{file}: column {column!r} row {i + 1}: {value!r} is not a "
                                 "boolean")
    return out


def read_labelled(path: str, weak: str, strong: str, exclude: str | None = None) -> Labelled:
    files = _files(path)
    con = duckdb.connect()
    prompts: list[str] = []
    weak_parts, strong_parts = [], []
    for file in files:
        try:
            table = con.sql("SELECT * FROM read_csv(?, header = true, all_varchar = true)",
                            params=[file]).to_arrow_table()
        except duckdb.Error as exc:
            raise EvalInputError(f"{file}: not a readable CSV: {exc}") from exc
        for column in ("prompt", weak, strong):
            if column not in table.column_names:
                raise EvalInputError(f"{file}: no column {column!r}; columns: "
                                     f"{', '.join(table.column_names)}")
        prompts += table.column("prompt").to_pylist()
        weak_parts.append(_truth(table.column(weak).to_pylist(), weak, file))
        strong_parts.append(_truth(table.column(strong).to_pylist(), strong, file))
    weak_ok, strong_ok = np.concatenate(weak_parts), np.concatenate(strong_parts)
    excluded = 0
    if exclude:
        drop = set()
        for number, line in enumerate(Path(exclude).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                drop.add(json.loads(line)["eval_prompt"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise EvalInputError(f"{exclude}: line {number} has no eval_prompt") from exc
        keep = np.array([p not in drop for p in prompts], dtype=bool)
        excluded = int((~keep).sum())
        prompts = [p for p, k in zip(prompts, keep, strict=True) if k]
        weak_ok, strong_ok = weak_ok[keep], strong_ok[keep]
    if not prompts:
        raise EvalInputError(f"{path}: no prompts left to evaluate")
    return Labelled(prompts, weak_ok, strong_ok, len(files), excluded)


def score_prompts(prompts: list[str], names: tuple[str, ...] | None = None
                  ) -> dict[str, np.ndarray]:
    """Each shipped scorer's score per prompt (a single user turn, no tools), computed by the
    same SQL that scores logged requests."""
    from pipelines.fingerprint import count_tokens

    tokens = np.asarray(count_tokens(prompts), dtype=np.int64)
    frame = pa.table({"prompt_text": prompts, "last_user_tokens": tokens,
                      "input_tokens": tokens,
                      "message_count": np.ones(len(prompts), np.int64),
                      "has_tools": np.zeros(len(prompts), bool)})
    con = duckdb.connect()
    con.register("prompts", frame)
    scores = {}
    for name in names or scorer.names():
        expression, params = scorer.load(name).sql("prompts")
        scores[name] = np.asarray(
            con.execute(f"SELECT {expression} AS score FROM prompts", params)
            .fetchnumpy()["score"], dtype=np.float64)
    return scores


def run(path: str, weak: str, strong: str, exclude: str | None = None) -> dict:
    data = read_labelled(path, weak, strong, exclude)
    result = metrics.evaluate(data.weak, data.strong, score_prompts(data.prompts))
    return {"n": result["n"], "weak_accuracy": result["weak_accuracy"],
            "strong_accuracy": result["strong_accuracy"],
            "default_scorer": scorer.DEFAULT_SCORER, "routers": result["routers"]}


def _pgr_at(points, shares, weak_accuracy: float, strong_accuracy: float) -> np.ndarray:
    xs = np.array([p[0] for p in points])
    ys = np.array([metrics.pgr(p[1], weak_accuracy, strong_accuracy) for p in points])
    return np.interp(shares, xs, ys)


def calibration_rows(data: Labelled, name: str, dataset: str, bootstraps: int = 200,
                     seed: int = 0) -> list[dict]:
    """PGR of the scorer at strong shares 0, 0.1 ... 1 (interpolated between its sweep's
    points), a 90 % band from prompt bootstraps, and the random and oracle envelope."""
    score = score_prompts(data.prompts, (name,))[name]
    shares = np.array(STRONG_SHARES)
    w, s = float(data.weak.mean()), float(data.strong.mean())
    point = _pgr_at(metrics.sweep(score, data.weak, data.strong), shares, w, s)
    oracle = _pgr_at(metrics.oracle_points(data.weak, data.strong), shares, w, s)
    rng = np.random.default_rng(seed)
    n = len(score)
    draws = []
    for _ in range(bootstraps):
        pick = rng.integers(0, n, n)
        weak_b, strong_b = data.weak[pick], data.strong[pick]
        wb, sb = float(weak_b.mean()), float(strong_b.mean())
        if sb == wb:
            continue
        draws.append(_pgr_at(metrics.sweep(score[pick], weak_b, strong_b), shares, wb, sb))
    low, high = np.percentile(np.array(draws), [5, 95], axis=0)
    return [{"scorer": name, "dataset": dataset, "n": n, "strong_share": float(share),
             "pgr_random": float(share), "pgr": float(p), "pgr_p05": float(lo),
             "pgr_p95": float(hi), "pgr_oracle": float(o)}
            for share, p, lo, hi, o in zip(shares, point, low, high, oracle, strict=True)]
