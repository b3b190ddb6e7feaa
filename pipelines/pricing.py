"""Price tables: reviewed CSV files, loaded and validated as data, never Python constants.

Three layers, highest priority first, so a user's negotiated price beats the project's list
price, which beats a bulk import:

- ``override``: ``$LLMCOST_HOME/pricing/overrides.csv`` (the user's own rows);
- ``curated``:  ``pricing/prices.csv`` in the project (reviewed, with sources);
- ``litellm``:  dated versions imported from LiteLLM's ``model_prices_and_context_window.json``
  by ``llmcost prices import-litellm`` into ``pricing/imported/`` (project or data home).

The engine itself is SQL (``sql/intermediate/int_requests__priced.sql``): prices are joined to
requests in bulk, never looked up row by row.
"""

from __future__ import annotations

import csv
import hashlib
import json
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
PRIORITY = {"override": 0, "curated": 1, "litellm": 2}
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


def price_files(home: Home | None) -> list[tuple[Path, str]]:
    files = [(PRICING_DIR / "prices.csv", "curated")]
    folders = [PRICING_DIR / "imported"]
    if home is not None:
        folders.append(home.pricing / "imported")
        override = home.pricing / "overrides.csv"
        if override.exists():
            files.append((override, "override"))
    for folder in folders:
        if folder.exists():
            files += [(path, "litellm") for path in sorted(folder.glob("litellm-*.csv"))]
    return files


def load(home: Home | None = None) -> PriceBook:
    """Read and validate every price file; raise PriceFileError naming the bad row."""
    rows: list[dict] = []
    digest = hashlib.sha256()
    files = price_files(home)
    for path, price_source in files:
        rows += read_price_file(path, price_source)
        digest.update(path.read_bytes())
    seen: dict[str, str] = {}
    for row in rows:
        if row["price_id"] in seen and seen[row["price_id"]] == row["price_source"]:
            raise PriceFileError(f"duplicate price_id {row['price_id']} in {row['price_file']}")
        seen[row["price_id"]] = row["price_source"]
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


# -- LiteLLM import --------------------------------------------------------------------------

_LITELLM_PROVIDERS = {
    "openai": "openai", "text-completion-openai": "openai", "anthropic": "anthropic",
    "gemini": "google", "vertex_ai-language-models": "google",
    "vertex_ai-anthropic_models": "google_vertex_anthropic", "bedrock": "aws_bedrock",
    "bedrock_converse": "aws_bedrock", "azure": "azure_openai", "openrouter": "openrouter",
    "mistral": "mistral", "deepseek": "deepseek", "xai": "xai", "groq": "groq",
    "cohere_chat": "cohere", "together_ai": "together_ai", "fireworks_ai": "fireworks_ai",
}
_CHAT_MODES = {"chat", "completion", "responses"}
_PREFIX = re.compile(r"^(openai|anthropic|gemini|vertex_ai|azure|bedrock|openrouter|mistral|"
                     r"deepseek|xai|groq|together_ai|fireworks_ai|cohere_chat)/")
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")
_TIER_SUFFIX = {"standard": "", "batch": "_batches", "flex": "_flex", "priority": "_priority"}


def _per_mtok(value) -> str | None:
    if value is None:
        return None
    return str((Decimal(str(value)) * Decimal(1_000_000)).quantize(Decimal("0.000001")).normalize())


def litellm_rows(prices: dict, effective_from: date) -> list[dict]:
    """One curated-format row per (provider, model, tier, context threshold) in LiteLLM's map.

    A dated snapshot key whose undated model is also in the map is skipped: snapshot-specific
    prices would otherwise collide on the canonical model.
    """
    keys = {key for key in prices if key != "sample_spec"}
    rows: dict[tuple, dict] = {}
    for key in sorted(keys):
        spec = prices[key]
        if not isinstance(spec, dict) or spec.get("mode") not in _CHAT_MODES:
            continue
        provider = _LITELLM_PROVIDERS.get(spec.get("litellm_provider", ""))
        if provider is None or spec.get("input_cost_per_token") is None:
            continue
        stripped = _PREFIX.sub("", key.lower())
        model = _SNAPSHOT.sub("", stripped)
        if model != stripped and (model in keys or f"{spec['litellm_provider']}/{model}" in keys):
            continue
        thresholds = {0: ""}
        for name in spec:
            match = re.fullmatch(r"input_cost_per_token_above_(\d+)k_tokens", name)
            if match:
                thresholds[int(match.group(1)) * 1000] = f"_above_{match.group(1)}k_tokens"
        for tier, tier_suffix in _TIER_SUFFIX.items():
            for threshold, ctx_suffix in thresholds.items():
                suffix = ctx_suffix + tier_suffix
                input_price = spec.get(f"input_cost_per_token{suffix}")
                output_price = spec.get(f"output_cost_per_token{suffix}")
                if input_price is None or output_price is None:
                    continue
                cache_read = spec.get(f"cache_read_input_token_cost{suffix}", input_price)
                cache_write = spec.get(f"cache_creation_input_token_cost{suffix}", input_price)
                cache_write_1h = spec.get("cache_creation_input_token_cost_above_1hr", cache_write)
                search = spec.get("search_context_cost_per_query") or {}
                web_search = (search.get("search_context_size_medium")
                              if isinstance(search, dict) else None)
                row_key = (provider, model, tier, threshold)
                if row_key in rows:
                    continue
                rows[row_key] = {
                    "price_id": f"litellm:{effective_from}/{provider}/{model}/{tier}/{threshold}",
                    "provider": provider, "model": model, "service_tier": tier,
                    "min_input_tokens": threshold, "effective_from": effective_from.isoformat(),
                    "effective_to": "",
                    "input_usd_per_mtok": _per_mtok(input_price),
                    "cache_read_usd_per_mtok": _per_mtok(cache_read or input_price),
                    "cache_write_5m_usd_per_mtok": _per_mtok(cache_write or input_price),
                    "cache_write_1h_usd_per_mtok": _per_mtok(
                        cache_write_1h or cache_write or input_price),
                    "output_usd_per_mtok": _per_mtok(output_price),
                    "web_search_usd_per_call": str(web_search) if web_search is not None else "",
                    "source_url": "litellm:model_prices_and_context_window.json",
                    "notes": f"imported from LiteLLM key {key}",
                }
    return list(rows.values())


def import_litellm(source_file: Path, out_dir: Path, *, effective_from: date) -> tuple[Path, int]:
    """Write a dated price version ``litellm-<date>.csv`` from LiteLLM's price map."""
    prices = json.loads(Path(source_file).read_text())
    if not isinstance(prices, dict):
        raise PriceFileError(f"{source_file}: expected LiteLLM's JSON object of model -> prices")
    rows = litellm_rows(prices, effective_from)
    if not rows:
        raise PriceFileError(f"{source_file}: no chat model with per-token prices found")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"litellm-{effective_from.isoformat()}.csv"
    with open(target, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PRICE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    read_price_file(target, "litellm")  # the written file must load
    return target, len(rows)
