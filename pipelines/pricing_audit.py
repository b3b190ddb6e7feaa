"""Price audit: every curated row against genai-prices (and LiteLLM's map when given).

For each curated row, the row the other source has in effect on the curated row's
``effective_from`` for the same provider, model, tier and long-context threshold is compared
component by component (input, cache read, cache writes, output, web search per call). A
difference above 0.5% must carry a note in ``pricing/audit_notes.csv`` saying which source the
curated row follows and why; ``tests/test_pricing_audit.py`` fails on one that does not.
LiteLLM's map has no dates: it is compared with the curated row in effect last (today's price).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pipelines import pricing, pricing_genai, pricing_litellm
from pipelines.paths import PRICING_DIR

TOLERANCE = Decimal("0.005")
NOTES_FILE = PRICING_DIR / "audit_notes.csv"
NOTE_COLUMNS = ["price_id", "source", "component", "follows", "note"]
COMPONENTS = [*pricing.TOKEN_PRICE_COLUMNS, "web_search_usd_per_call"]


@dataclass
class Difference:
    price_id: str
    component: str
    curated: Decimal | None
    other: Decimal | None
    source: str
    other_price_id: str
    relative_diff: Decimal
    note: str = ""


def read_notes(path: Path = NOTES_FILE) -> dict[tuple[str, str, str], str]:
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in NOTE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise pricing.PriceFileError(f"{path}: missing columns {', '.join(missing)}")
        return {(row["price_id"], row["source"], row["component"]):
                f"follows {row['follows']}: {row['note']}" for row in reader}


def _decimal(value: str) -> Decimal | None:
    return Decimal(value) if value not in ("", None) else None


def _in_effect(rows: list[dict], day) -> dict | None:
    """The row whose window holds ``day`` (rows of one key, windows closed as in SQL)."""
    ordered = sorted(rows, key=lambda row: row["effective_from"])
    for index, row in enumerate(ordered):
        until = row["effective_to"] or (ordered[index + 1]["effective_from"]
                                        if index + 1 < len(ordered) else None)
        if row["effective_from"] <= str(day) and (until is None or str(day) < until):
            return row
    return None


def _key(row: dict) -> tuple:
    return (row["provider"], row["model"], row["service_tier"], int(row["min_input_tokens"]))


def _compare(curated: dict, other: dict, source: str) -> list[Difference]:
    found = []
    for component in COMPONENTS:
        mine, theirs = _decimal(str(curated[component] or "")), _decimal(other[component])
        if mine is None and theirs is None:
            continue
        if mine is None or theirs is None:
            diff = Decimal(1)
        else:
            top = max(mine, theirs)
            diff = abs(mine - theirs) / top if top else Decimal(0)
        if diff > TOLERANCE:
            found.append(Difference(curated["price_id"], component, mine, theirs, source,
                                    other["price_id"], diff.quantize(Decimal("0.0001"))))
    return found


def audit(*, litellm_file: Path | None = None, notes_path: Path = NOTES_FILE) -> list[Difference]:
    from genai_prices import data

    curated = pricing.read_price_file(PRICING_DIR / "prices.csv", "curated")
    others: dict[str, dict[tuple, list[dict]]] = {}
    genai, _ = pricing_genai.genai_rows(data.providers, pricing_genai.installed_version(),
                                        pricing_genai.DEFAULT_EFFECTIVE_FROM)
    for row in genai:
        others.setdefault("genai-prices", {}).setdefault(_key(row), []).append(row)
    if litellm_file is not None:
        prices = json.loads(Path(litellm_file).read_text())
        for row in pricing_litellm.litellm_rows(prices, pricing_genai.DEFAULT_EFFECTIVE_FROM):
            others.setdefault("litellm", {}).setdefault(_key(row), []).append(row)
    latest = {}
    for row in curated:
        key = _key(row)
        if key not in latest or row["effective_from"] > latest[key]["effective_from"]:
            latest[key] = row
    notes = read_notes(notes_path)
    differences: list[Difference] = []
    for row in curated:
        for source, by_key in others.items():
            if source == "litellm" and latest[_key(row)] is not row:
                continue
            match = _in_effect(by_key.get(_key(row), []), row["effective_from"])
            if match is not None:
                differences += _compare(row, match, source)
    for difference in differences:
        difference.note = (notes.get((difference.price_id, difference.source,
                                      difference.component))
                           or notes.get((difference.price_id, difference.source, "*"), ""))
    return differences
