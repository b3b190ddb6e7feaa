"""Provider prompt-caching rules, as dated data: ``pricing/prompt_cache_rules.csv`` plus the
user's ``$LLMCOST_HOME/pricing/prompt_cache_rules.csv`` (same columns; a row with the same
rule_id replaces the shipped one, new rows add to it).

Minimum cacheable lengths, discounts and TTLs have changed several times (Anthropic's minimums
per model, Gemini's implicit-caching minimums and discount in 2026), so each rule has an
effective date range, and a request is simulated under the rule in force on its day. Among the
rules that match a request's provider, model (SQL LIKE pattern) and day, the longest pattern
wins, then the latest effective_from.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow as pa

from pipelines.paths import PRICING_DIR, Home

RULES_FILE = "prompt_cache_rules.csv"
COLUMNS = ("rule_id", "provider", "model_pattern", "effective_from", "effective_to", "caching",
           "min_cacheable_tokens", "read_multiplier", "write_multiplier", "write_1h_multiplier",
           "ttl_seconds",
           "refresh_on_hit", "increment_min_tokens", "increment_step_tokens", "source_url",
           "notes")
CACHING_MODES = ("explicit", "automatic", "implicit")


class RulesFileError(ValueError):
    pass


def _parse(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RulesFileError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = []
        for line, raw in enumerate(reader, start=2):
            where = f"{path}:{line}"
            try:
                row = {
                    "rule_id": raw["rule_id"].strip(),
                    "provider": raw["provider"].strip(),
                    "model_pattern": raw["model_pattern"].strip(),
                    "effective_from": date.fromisoformat(raw["effective_from"].strip()),
                    "effective_to": (date.fromisoformat(raw["effective_to"].strip())
                                     if raw["effective_to"].strip() else None),
                    "caching": raw["caching"].strip(),
                    "min_cacheable_tokens": int(raw["min_cacheable_tokens"]),
                    "read_multiplier": float(raw["read_multiplier"]),
                    "write_multiplier": float(raw["write_multiplier"]),
                    "write_1h_multiplier": (float(raw["write_1h_multiplier"])
                                            if raw["write_1h_multiplier"].strip() else None),
                    "ttl_seconds": float(raw["ttl_seconds"]),
                    "refresh_on_hit": raw["refresh_on_hit"].strip().lower() == "true",
                    "increment_min_tokens": (int(raw["increment_min_tokens"])
                                             if raw["increment_min_tokens"].strip() else None),
                    "increment_step_tokens": (int(raw["increment_step_tokens"])
                                              if raw["increment_step_tokens"].strip() else None),
                }
            except (ValueError, TypeError, AttributeError) as exc:
                raise RulesFileError(f"{where}: {exc}") from exc
            if not row["rule_id"] or not row["provider"] or not row["model_pattern"]:
                raise RulesFileError(f"{where}: rule_id, provider and model_pattern are required")
            if row["caching"] not in CACHING_MODES:
                raise RulesFileError(
                    f"{where}: caching must be one of {', '.join(CACHING_MODES)}")
            if not 0 <= row["read_multiplier"] <= 1 or row["write_multiplier"] < 1:
                raise RulesFileError(
                    f"{where}: read_multiplier must be in [0, 1] and write_multiplier >= 1")
            if row["write_1h_multiplier"] is not None and row["write_1h_multiplier"] < 1:
                raise RulesFileError(f"{where}: write_1h_multiplier must be >= 1 (or empty)")
            if row["ttl_seconds"] <= 0 or row["min_cacheable_tokens"] < 0:
                raise RulesFileError(f"{where}: ttl_seconds must be > 0, min tokens >= 0")
            if row["effective_to"] and row["effective_to"] <= row["effective_from"]:
                raise RulesFileError(f"{where}: effective_to must be after effective_from")
            rows.append(row)
    return rows


def load(home: Home | None = None) -> pa.Table:
    rows = {row["rule_id"]: row for row in _parse(PRICING_DIR / RULES_FILE)}
    if home is not None and (home.pricing / RULES_FILE).exists():
        rows.update({row["rule_id"]: row for row in _parse(home.pricing / RULES_FILE)})
    ordered = sorted(rows.values(), key=lambda row: row["rule_id"])
    return pa.Table.from_pylist(ordered, schema=pa.schema([
        ("rule_id", pa.string()), ("provider", pa.string()), ("model_pattern", pa.string()),
        ("effective_from", pa.date32()), ("effective_to", pa.date32()),
        ("caching", pa.string()), ("min_cacheable_tokens", pa.int64()),
        ("read_multiplier", pa.float64()), ("write_multiplier", pa.float64()),
        ("write_1h_multiplier", pa.float64()),
        ("ttl_seconds", pa.float64()), ("refresh_on_hit", pa.bool_()),
        ("increment_min_tokens", pa.int64()), ("increment_step_tokens", pa.int64()),
    ]))
