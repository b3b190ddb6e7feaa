"""Model limits and tokenizer ratios for the routing simulation, as dated data files:
``pricing/model_limits.csv`` (context window, max output, tokenizer family per provider/model)
and ``pricing/tokenizer_ratios.csv`` (target tokens per source token between families, low /
point / high). The user's ``$LLMCOST_HOME/pricing/<same name>`` adds rows; a row with the same
key and effective_from replaces the shipped one. A bad row stops the load with file, line and
column; nothing is used from a half-read file.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow as pa

from pipelines.paths import PRICING_DIR, Home

LIMITS_FILE = "model_limits.csv"
RATIOS_FILE = "tokenizer_ratios.csv"
LIMIT_COLUMNS = ("provider", "model", "effective_from", "effective_to", "context_window_tokens",
                 "max_output_tokens", "tokenizer_family", "source_url", "notes")
RATIO_COLUMNS = ("from_family", "to_family", "effective_from", "effective_to", "ratio_low",
                 "ratio", "ratio_high", "source_url", "notes")
LIMITS_SCHEMA = pa.schema([
    ("provider", pa.string()), ("model", pa.string()), ("effective_from", pa.date32()),
    ("effective_to", pa.date32()), ("context_window_tokens", pa.int64()),
    ("max_output_tokens", pa.int64()), ("tokenizer_family", pa.string()),
    ("source_url", pa.string())])
RATIOS_SCHEMA = pa.schema([
    ("from_family", pa.string()), ("to_family", pa.string()), ("effective_from", pa.date32()),
    ("effective_to", pa.date32()), ("ratio_low", pa.float64()), ("ratio", pa.float64()),
    ("ratio_high", pa.float64()), ("source_url", pa.string())])


class LimitsFileError(ValueError):
    pass


def _read(path: Path, columns: tuple[str, ...], parse) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise LimitsFileError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = []
        for line, raw in enumerate(reader, start=2):
            rows.append(parse(raw, f"{path}:{line}"))
    return rows


def _date(raw: dict, column: str, where: str, required: bool) -> date | None:
    text = (raw.get(column) or "").strip()
    if not text:
        if required:
            raise LimitsFileError(f"{where}: {column} is required (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise LimitsFileError(f"{where}: {column} {text!r} is not a date (YYYY-MM-DD)") from exc


def _number(raw: dict, column: str, where: str, kind):
    text = (raw.get(column) or "").strip()
    try:
        value = kind(text)
    except ValueError as exc:
        raise LimitsFileError(f"{where}: {column} {text!r} is not a number") from exc
    if not value > 0:
        raise LimitsFileError(f"{where}: {column} must be > 0")
    return value


def _text(raw: dict, column: str, where: str) -> str:
    text = (raw.get(column) or "").strip()
    if not text:
        raise LimitsFileError(f"{where}: {column} is required")
    return text


def _limit(raw: dict, where: str) -> dict:
    row = {"provider": _text(raw, "provider", where), "model": _text(raw, "model", where),
           "effective_from": _date(raw, "effective_from", where, True),
           "effective_to": _date(raw, "effective_to", where, False),
           "context_window_tokens": _number(raw, "context_window_tokens", where, int),
           "max_output_tokens": _number(raw, "max_output_tokens", where, int),
           "tokenizer_family": _text(raw, "tokenizer_family", where),
           "source_url": _text(raw, "source_url", where)}
    _window(row, where)
    return row


def _ratio(raw: dict, where: str) -> dict:
    row = {"from_family": _text(raw, "from_family", where),
           "to_family": _text(raw, "to_family", where),
           "effective_from": _date(raw, "effective_from", where, True),
           "effective_to": _date(raw, "effective_to", where, False),
           "ratio_low": _number(raw, "ratio_low", where, float),
           "ratio": _number(raw, "ratio", where, float),
           "ratio_high": _number(raw, "ratio_high", where, float),
           "source_url": _text(raw, "source_url", where)}
    if not row["ratio_low"] <= row["ratio"] <= row["ratio_high"]:
        raise LimitsFileError(f"{where}: ratio_low <= ratio <= ratio_high does not hold")
    _window(row, where)
    return row


def _window(row: dict, where: str) -> None:
    if row["effective_to"] is not None and row["effective_to"] <= row["effective_from"]:
        raise LimitsFileError(f"{where}: effective_to must be after effective_from")


def _merged(name: str, columns, parse, key, home: Home | None) -> list[dict]:
    rows = {}
    paths = [PRICING_DIR / name] + ([home.pricing / name] if home is not None else [])
    for path in paths:
        if path.exists():
            for row in _read(path, columns, parse):
                rows[key(row)] = row
    return list(rows.values())


def load_limits(home: Home | None = None) -> pa.Table:
    rows = _merged(LIMITS_FILE, LIMIT_COLUMNS, _limit,
                   lambda r: (r["provider"], r["model"], r["effective_from"]), home)
    return pa.Table.from_pylist(rows, schema=LIMITS_SCHEMA)


def load_ratios(home: Home | None = None) -> pa.Table:
    rows = _merged(RATIOS_FILE, RATIO_COLUMNS, _ratio,
                   lambda r: (r["from_family"], r["to_family"], r["effective_from"]), home)
    return pa.Table.from_pylist(rows, schema=RATIOS_SCHEMA)
