"""Price tables: reviewed CSV files, loaded and validated as data, never Python constants.

Three layers, highest priority first, so a user's negotiated price beats the project's list
price, which beats a bulk import:

- ``override``: ``$LLMCOST_HOME/pricing/overrides.csv`` (the user's own rows);
- ``curated``:  ``pricing/prices.csv`` in the project (reviewed, with sources);
- ``genai_prices``: ``pricing/imported/genai-prices-<version>.csv``, generated from the pinned
  genai-prices package by ``llmcost prices import-genai-prices`` (pipelines/pricing_genai.py);
  only the newest version found (project or data home) is loaded;
- ``litellm``:  dated versions imported from LiteLLM's ``model_prices_and_context_window.json``
  by ``llmcost prices import-litellm`` (pipelines/pricing_litellm.py) into
  ``pricing/imported/`` (project or data home).

The two imports are bulk sources: their rows are used only for a (provider, model, tier) that
no higher-priority source lists at all (``stg_pricing__prices``), so a curated model's reviewed
launch dates are never filled in by an import. Within one source, two rows for the same
(provider, model, tier, min_input_tokens) whose windows overlap are refused, naming both.

The engine itself is SQL (``sql/intermediate/int_requests__priced.sql``): prices are joined to
requests in bulk, never looked up row by row.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa

from pipelines import model_names
from pipelines.paths import PRICING_DIR, Home

PRICE_COLUMNS = [
    "price_id", "provider", "model", "service_tier", "min_input_tokens", "effective_from",
    "effective_to", "input_usd_per_mtok", "cache_read_usd_per_mtok",
    "cache_write_5m_usd_per_mtok", "cache_write_1h_usd_per_mtok", "output_usd_per_mtok",
    "web_search_usd_per_call", "source_url", "notes",
]
TOKEN_PRICE_COLUMNS = [
    "input_usd_per_mtok", "cache_read_usd_per_mtok", "cache_write_5m_usd_per_mtok",
    "cache_write_1h_usd_per_mtok", "output_usd_per_mtok",
]
TIERS = {"standard", "batch", "flex", "priority"}
PRIORITY = {"override": 0, "curated": 1, "genai_prices": 2, "litellm": 3}
ALIAS_COLUMNS = ["alias", "provider", "model", "notes"]

_PRICE_TYPE = pa.decimal128(18, 6)
PRICE_SCHEMA = pa.schema([
    ("price_id", pa.string()), ("price_source", pa.string()), ("priority", pa.int32()),
    ("provider", pa.string()), ("model", pa.string()), ("service_tier", pa.string()),
    ("min_input_tokens", pa.int64()), ("effective_from", pa.date32()),
    ("effective_to", pa.date32()),
    *[(name, _PRICE_TYPE) for name in TOKEN_PRICE_COLUMNS],
    ("web_search_usd_per_call", _PRICE_TYPE), ("source_url", pa.string()),
    ("price_file", pa.string()),
])
ALIAS_SCHEMA = pa.schema([("alias", pa.string()), ("provider", pa.string()),
                          ("model", pa.string())])


class PriceFileError(ValueError):
    pass


@dataclass
class PriceBook:
    rows: pa.Table
    aliases: pa.Table
    fingerprint: str
    files: list[Path]


def _decimal(value: str, *, where: str, column: str, required: bool) -> Decimal | None:
    if value is None or value.strip() == "":
        if required:
            raise PriceFileError(f"{where}: {column} is empty (every token price is required)")
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise PriceFileError(f"{where}: {column}={value!r} is not a number") from None
    if number < 0:
        raise PriceFileError(f"{where}: {column}={value!r} is negative")
    return number.quantize(Decimal("0.000001"))


def read_price_file(path: Path, price_source: str) -> list[dict]:
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in PRICE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise PriceFileError(f"{path}: missing columns {', '.join(missing)}")
        rows = []
        for line_no, raw in enumerate(reader, start=2):
            where = f"{path}:{line_no}"
            tier = raw["service_tier"].strip()
            if tier not in TIERS:
                raise PriceFileError(f"{where}: service_tier {tier!r} not in {sorted(TIERS)}")
            try:
                effective_from = date.fromisoformat(raw["effective_from"].strip())
                effective_to = (date.fromisoformat(raw["effective_to"].strip())
                                if raw["effective_to"].strip() else None)
                min_input = int(raw["min_input_tokens"].strip() or 0)
            except ValueError as exc:
                raise PriceFileError(f"{where}: {exc}") from None
            if effective_to is not None and effective_to <= effective_from:
                raise PriceFileError(f"{where}: effective_to must be after effective_from")
            row = {
                "price_id": raw["price_id"].strip(),
                "price_source": price_source,
                "priority": PRIORITY[price_source],
                "provider": raw["provider"].strip(),
                "model": raw["model"].strip().lower(),
                "service_tier": tier,
                "min_input_tokens": min_input,
                "effective_from": effective_from,
                "effective_to": effective_to,
                "web_search_usd_per_call": _decimal(raw["web_search_usd_per_call"], where=where,
                                                    column="web_search_usd_per_call",
                                                    required=False),
                "source_url": raw["source_url"].strip(),
                "price_file": str(path),
                "line": line_no,
            }
            for column in TOKEN_PRICE_COLUMNS:
                row[column] = _decimal(raw[column], where=where, column=column, required=True)
            rows.append(row)
    return rows


def read_alias_file(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return [
            {"alias": row["alias"].strip().lower(), "provider": row["provider"].strip(),
             "model": row["model"].strip().lower()}
            for row in csv.DictReader(handle)
        ]


def _version_key(path: Path) -> tuple:
    version = path.stem.removeprefix("genai-prices-")
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"[.-]", version))


def price_files(home: Home | None) -> list[tuple[Path, str]]:
    files = [(PRICING_DIR / "prices.csv", "curated")]
    folders = [PRICING_DIR / "imported"]
    if home is not None:
        folders.append(home.pricing / "imported")
        override = home.pricing / "overrides.csv"
        if override.exists():
            files.append((override, "override"))
    genai = [path for folder in folders if folder.exists()
             for path in folder.glob("genai-prices-*.csv")]
    if genai:
        files.append((max(genai, key=_version_key), "genai_prices"))
    for folder in folders:
        if folder.exists():
            files += [(path, "litellm") for path in sorted(folder.glob("litellm-*.csv"))]
    return files


def _check_version(path: Path, rows: list[dict]) -> None:
    """``genai-prices-<version>.csv`` holds only rows that version's import wrote."""
    prefix = f"genai-prices:{path.stem.removeprefix('genai-prices-')}/"
    for row in rows:
        if not row["price_id"].startswith(prefix):
            raise PriceFileError(
                f"{path}:{row['line']}: price_id {row['price_id']} is not from this version "
                f"(expected {prefix}...): regenerate it with `llmcost prices import-genai-prices`")


def check_overlaps(rows: list[dict]) -> None:
    """Refuse two rows of one source for the same key whose validity windows overlap.

    A row without effective_to closes at the next row's effective_from, so only a shared
    effective_from or an explicit effective_to past the next row's start can overlap."""
    keyed: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row["price_source"], row["provider"], row["model"], row["service_tier"],
               row["min_input_tokens"])
        keyed.setdefault(key, []).append(row)
    for group in keyed.values():
        group.sort(key=lambda row: row["effective_from"])
        for earlier, later in zip(group, group[1:], strict=False):
            if (earlier["effective_from"] == later["effective_from"]
                    or (earlier["effective_to"] is not None
                        and earlier["effective_to"] > later["effective_from"])):
                raise PriceFileError(
                    f"overlapping price rows for {earlier['provider']}/{earlier['model']} "
                    f"({earlier['service_tier']}, min_input_tokens {earlier['min_input_tokens']}): "
                    f"{earlier['price_id']} ({earlier['price_file']}:{earlier['line']}, from "
                    f"{earlier['effective_from']} to {earlier['effective_to'] or 'open'}) and "
                    f"{later['price_id']} ({later['price_file']}:{later['line']}, from "
                    f"{later['effective_from']})")


def load(home: Home | None = None) -> PriceBook:
    """Read and validate every price file; raise PriceFileError naming the bad row."""
    rows: list[dict] = []
    digest = hashlib.sha256()
    files = price_files(home)
    for path, price_source in files:
        found = read_price_file(path, price_source)
        if price_source == "genai_prices":
            _check_version(path, found)
        rows += found
        digest.update(path.read_bytes())
    seen: dict[str, str] = {}
    for row in rows:
        if row["price_id"] in seen and seen[row["price_id"]] == row["price_source"]:
            raise PriceFileError(f"duplicate price_id {row['price_id']} in {row['price_file']}")
        seen[row["price_id"]] = row["price_source"]
    check_overlaps(rows)
    alias_path = PRICING_DIR / "model_aliases.csv"
    aliases = read_alias_file(alias_path)
    digest.update(alias_path.read_bytes())
    # Display names (the Console cost export's "Claude Haiku 4.5") resolve as aliases.
    names_path = PRICING_DIR / "model_display_names.csv"
    aliases += model_names.read_display_names(names_path)
    digest.update(names_path.read_bytes())
    return PriceBook(
        rows=pa.Table.from_pylist(rows, schema=PRICE_SCHEMA),
        aliases=pa.Table.from_pylist(aliases, schema=ALIAS_SCHEMA),
        fingerprint=digest.hexdigest(),
        files=[path for path, _ in files] + [alias_path, names_path],
    )
