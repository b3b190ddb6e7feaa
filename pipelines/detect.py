"""Which source wrote a file, decided from its content.

Each source module declares a signature: a score in [0, 1] for one parsed record. A file's
score for a source is the mean over its first records; the best source wins when it scores at
least MIN_SCORE and clearly beats the runner-up. Otherwise the file is refused with the closest
candidates named, so a user can pass --source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.records import iter_raw_chunks
from pipelines.sources import SOURCES

SAMPLE_RECORDS = 20
SAMPLE_BYTES = 1 << 20
MIN_SCORE = 0.5
MARGIN = 0.2


class UndetectedFormat(ValueError):
    pass


@dataclass(frozen=True)
class Detection:
    source: str
    score: float
    scores: dict[str, float]


def sample_records(path: Path, limit: int = SAMPLE_RECORDS) -> list[dict]:
    records: list[dict] = []
    # A small first chunk: detection needs a few records, not 128 MB of the file.
    for chunk in iter_raw_chunks(path, chunk_bytes=SAMPLE_BYTES):
        for raw, read_error in zip(chunk.table.column("raw").to_pylist(),
                                   chunk.table.column("read_error").to_pylist(), strict=True):
            if read_error is not None or raw is None:
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if isinstance(value, dict):
                records.append(value)
            if len(records) >= limit:
                return records
        if records:
            break
    return records


def score_sources(records: list[dict]) -> dict[str, float]:
    scores = {}
    for name, source in SOURCES.items():
        total = 0.0
        for record in records:
            try:
                total += source.signature(record)
            except (AttributeError, TypeError, KeyError, IndexError):
                continue
        scores[name] = total / len(records) if records else 0.0
    return scores


def detect(path: Path) -> Detection:
    records = sample_records(path)
    if not records:
        raise UndetectedFormat(f"{path}: no JSON object or CSV row to recognise a format from")
    scores = score_sources(records)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if best_score >= MIN_SCORE and best_score - runner_up >= MARGIN:
        return Detection(best, best_score, scores)
    for source in SOURCES.values():
        reason = source.refusal(records[0]) if source.refusal else None
        if reason:
            raise UndetectedFormat(f"{path}: {reason}; refused")
    closest = ", ".join(f"{name} ({score:.0%})" for name, score in ranked[:3] if score > 0)
    raise UndetectedFormat(
        f"{path}: matches no known format"
        + (f"; closest: {closest}" if closest else "")
        + ". Pass --source NAME (see `llmcost sources`)."
    )
