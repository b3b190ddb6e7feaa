"""genai-prices (Pydantic's maintained price database, MIT) -> dated price rows.

The installed, pinned package ships its data as Python objects: per provider a list of models,
each with boolean match rules over model ids, prices that are either one set or a list of
conditional sets (start-date or time-of-day constraints; the last active one wins, the first
applies before any start date), cliff tiers on total input tokens, cache read / write prices,
and price variants chosen by request context (``processing: batch``, ``service_tier: flex``).

Each (provider, model) becomes curated-format rows, one per service tier, long-context
threshold and validity window. Prices are resolved with the package's own ``get_prices`` at
every date where something changes, so start dates and variant semantics are genai-prices'
own. A model is named by the canonical id (``llm_model_canonical``) of its id and of the ids
its match rules name, so raw request ids resolve to it in SQL exactly as to a curated row.

What the row format cannot express is listed (model, component, reason), never folded in
silently: models with time-of-day prices, per-request fees, audio / image / video token prices, a
different reasoning price, other units; models with no per-token input and output price.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from pipelines import db
from pipelines.pricing import PRICE_COLUMNS, PriceFileError, check_overlaps, read_price_file

SUPPORTED_SERIES = "0.2."
# `vendor/model:free`; not Bedrock's `-v1:0` version suffix.
_VARIANT = re.compile(r":[a-z][a-z0-9_.-]*$", re.IGNORECASE)
DEFAULT_EFFECTIVE_FROM = date(2020, 1, 1)
# genai-prices provider id -> who bills in llmcost (llm_provider() spellings).
PROVIDERS = {"aws": "aws_bedrock", "azure": "azure_openai", "x-ai": "xai",
             "together": "together_ai", "fireworks": "fireworks_ai"}
# llmcost service tier -> the genai-prices price context that selects its variant.
TIER_CONTEXT = {"standard": None, "batch": {"processing": "batch"},
                "flex": {"service_tier": "flex"}, "priority": {"service_tier": "priority"}}
COLUMN_FOR_KEY = {"input_mtok": "input_usd_per_mtok", "cache_read_mtok": "cache_read_usd_per_mtok",
                  "cache_write_mtok": "cache_write_5m_usd_per_mtok",
                  "cache_write_1h_mtok": "cache_write_1h_usd_per_mtok",
                  "output_mtok": "output_usd_per_mtok"}
EXPRESSIBLE = {*COLUMN_FOR_KEY, "web_searches_kcount"}


@dataclass
class Skipped:
    provider: str
    model: str
    what: str
    reason: str


def provider_name(genai_id: str) -> str:
    return PROVIDERS.get(genai_id, genai_id.replace("-", "_"))


def check_version(found: str) -> str:
    if not found.startswith(SUPPORTED_SERIES):
        raise PriceFileError(
            f"genai-prices {found} is installed; this importer reads the {SUPPORTED_SERIES}x "
            f"data model (pin genai-prices==0.2.3 or review pipelines/pricing_genai.py)")
    return found


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return check_version(version("genai-prices"))
    except PackageNotFoundError:
        raise PriceFileError("genai-prices is not installed (pip install -e .)") from None


def _clause_ids(clause) -> list[str]:
    """The literal model ids a match rule names (equals / starts / ends / contains; or-ed)."""
    for attr in ("equals", "starts_with", "ends_with", "contains"):
        if hasattr(clause, attr):
            return [getattr(clause, attr)]
    if hasattr(clause, "or_"):
        return [value for inner in clause.or_ for value in _clause_ids(inner)]
    return []  # regex, and: only the model's own id names it


def _names(model, canonical: dict[str, str], providers: set[str]) -> tuple[str, list[str]]:
    """The canonical id of the model's own id, and of the other ids its match rules name."""
    others = []
    for raw in _clause_ids(model.match):
        # Bedrock global. profiles fold into the regional model (a known +-10% limitation).
        if raw.lower().startswith("global.") and not model.id.lower().startswith("global."):
            continue
        # `cerebras:llama-3.3-70b` canonicalises to the provider's name: not a model id.
        if canonical[raw] and canonical[raw] not in others and canonical[raw] not in providers:
            others.append(canonical[raw])
    return canonical[model.id], others


def _breakpoints(model, context, effective_from: date) -> list[date]:
    dates = {effective_from}
    for conditional in model.prices if isinstance(model.prices, list) else []:
        if conditional.constraint is not None:
            dates.add(max(conditional.constraint.start_date, effective_from))
    for variant in model.price_variants or []:
        if context and variant.constraint is not None and variant.when.items() <= context.items():
            dates.add(max(variant.constraint.start_date, effective_from))
    return sorted(dates)


def _variant_active(model, context, day: datetime) -> bool:
    return any(variant.when.items() <= context.items()
               and (variant.constraint is None or variant.constraint.active(day))
               for variant in model.price_variants or [])


def _at(price, threshold: int) -> Decimal | None:
    if price is None or isinstance(price, Decimal):
        return price
    applicable = price.base
    for tier in price.tiers:
        if tier.start <= threshold:
            applicable = tier.price
    return applicable


def _rows_for_prices(prices, *, provider, model_id, skipped) -> dict[int, dict] | None:
    """One {column: value} per long-context threshold, or None when not per-token priced."""
    values = {key: value for key, value in prices.__dict__.items()
              if not key.startswith("_") and value is not None}
    for key in sorted(set(values) - EXPRESSIBLE):
        skipped.append(Skipped(provider, model_id, key, "no column for this price: tokens "
                               "of that kind inside input/output are billed at the text token "
                               "price; other units are not billed"))
    if values.get("input_mtok") is None or values.get("output_mtok") is None:
        return None
    thresholds = {0} | {tier.start for value in values.values()
                        if hasattr(value, "tiers") for tier in value.tiers}
    rows = {}
    for threshold in sorted(thresholds):
        base = _at(values["input_mtok"], threshold)
        row = {column: _at(values.get(key), threshold) for key, column in COLUMN_FOR_KEY.items()}
        # genai-prices bills a token class it has no price for at the input price.
        row["cache_read_usd_per_mtok"] = row["cache_read_usd_per_mtok"] or base
        row["cache_write_5m_usd_per_mtok"] = row["cache_write_5m_usd_per_mtok"] or base
        row["cache_write_1h_usd_per_mtok"] = (row["cache_write_1h_usd_per_mtok"]
                                              or row["cache_write_5m_usd_per_mtok"])
        searches = _at(values.get("web_searches_kcount"), threshold)
        row["web_search_usd_per_call"] = searches / 1000 if searches is not None else None
        rows[threshold] = row
    return rows


def model_rows(provider, model, *, names, version, effective_from, skipped) -> list:
    """Every dated row of one genai-prices model under each of its canonical names."""
    biller = provider_name(provider.id)
    if isinstance(model.prices, list) and any(
            type(c.constraint).__name__ == "TimeOfDateConstraint" for c in model.prices):
        # DeepSeek: the unconstrained price is the off-peak one, the daytime price a window;
        # neither alone is the model's price, so the model is not imported.
        skipped.append(Skipped(biller, model.id, "model", "time-of-day prices (off-peak "
                               "windows) cannot be expressed: model not imported"))
        return []
    spans: list[tuple[str, date, int, dict | None]] = []
    for tier, context in TIER_CONTEXT.items():
        for start in _breakpoints(model, context, effective_from):
            day = datetime(start.year, start.month, start.day, tzinfo=UTC)
            if context and not _variant_active(model, context, day):
                spans.append((tier, start, -1, None))
                continue
            per_threshold = _rows_for_prices(model.get_prices(day, context), provider=biller,
                                             model_id=model.id, skipped=skipped)
            if per_threshold is None:
                spans.append((tier, start, -1, None))
                continue
            spans += [(tier, start, threshold, row) for threshold, row in per_threshold.items()]
    rows = []
    for tier in TIER_CONTEXT:
        starts = sorted({start for t, start, _, _ in spans if t == tier})
        by_threshold: dict[int, list[tuple[date, dict | None]]] = {}
        for t, start, threshold, row in spans:
            if t == tier and threshold >= 0:
                by_threshold.setdefault(threshold, []).append((start, row))
        for threshold, windows in by_threshold.items():
            present = dict(windows)
            merged: list[list] = []  # [from, to, row]
            for index, start in enumerate(starts):
                row = present.get(start)
                until = starts[index + 1] if index + 1 < len(starts) else None
                if row is None:
                    continue
                if merged and merged[-1][1] == start and merged[-1][2] == row:
                    merged[-1][1] = until
                else:
                    merged.append([start, until, row])
            for start, until, row in merged:
                for name in names:
                    rows.append(_csv_row(biller, name, tier, threshold, start, until, row,
                                         version, provider, model))
    return rows


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _csv_row(biller, name, tier, threshold, start, until, row, version, provider, model):
    return {
        "price_id": f"genai-prices:{version}/{biller}/{name}/{tier}/{threshold}/{start}",
        "provider": biller, "model": name, "service_tier": tier,
        "min_input_tokens": str(threshold), "effective_from": start.isoformat(),
        "effective_to": until.isoformat() if until else "",
        **{column: _text(row[column]) for column in COLUMN_FOR_KEY.values()},
        "web_search_usd_per_call": _text(row["web_search_usd_per_call"]),
        "source_url": (provider.pricing_urls or ["https://github.com/pydantic/genai-prices"])[0],
        "notes": f"genai-prices {version} {provider.id}/{model.id}",
    }


def _canonical_ids(providers) -> dict[str, str]:
    raw = sorted({value for provider in providers for model in provider.models
                  for value in [model.id, *_clause_ids(model.match)]})
    con = db.connect(":memory:")
    try:
        return dict(con.execute(
            "select raw, llm_model_canonical(raw) from unnest($raw) as ids(raw)",
            {"raw": raw}).fetchall())
    finally:
        con.close()


def _owners(candidates, canonical, biller, skipped, providers) -> dict[str, int]:
    """Which candidate owns each canonical id: own ids first, then the ids match rules name,
    each in genai-prices' order (its first matching model wins)."""
    owner: dict[str, int] = {}
    for pass_index in (0, 1):
        for index, (model, _) in enumerate(candidates):
            if model.id.startswith("ft:") or _VARIANT.search(model.id):
                continue
            own, others = _names(model, canonical, providers)
            for name in [own] if pass_index == 0 else others:
                if name not in owner:
                    owner[name] = index
                elif owner[name] != index and candidates[owner[name]][1] is None:
                    skipped.append(Skipped(biller, model.id, name, "canonical id already "
                                           f"priced by {candidates[owner[name]][0].id}"))
    return owner


def genai_rows(providers, version: str, effective_from: date) -> tuple[list[dict], list[Skipped]]:
    canonical = _canonical_ids(providers)
    by_id = {provider.id: provider for provider in providers}
    rows: list[dict] = []
    skipped: list[Skipped] = []
    for provider in providers:
        biller = provider_name(provider.id)
        # Bedrock global. profiles last: the regional price owns the folded name.
        candidates = [(model, None) for model in sorted(
            provider.models, key=lambda model: model.id.lower().startswith("global."))]
        for fallback_id in provider.fallback_model_providers or []:
            if fallback_id in by_id:
                candidates += [(model, by_id[fallback_id]) for model in by_id[fallback_id].models]
        owner = _owners(candidates, canonical, biller, skipped, set(by_id))
        for index, (model, via) in enumerate(candidates):
            if model.id.startswith("ft:") and via is None:
                skipped.append(Skipped(biller, model.id, "model", "fine-tuned model: priced "
                                       "per base model, not expressible by canonical id"))
            if _VARIANT.search(model.id) and via is None:
                skipped.append(Skipped(biller, model.id, "model", "OpenRouter-style :variant "
                                       "(:free, :extended, ...): the resolver folds it into the "
                                       "base model, so its own price is not imported"))
            names = [name for name, owned_by in owner.items() if owned_by == index]
            if not names:
                continue
            found = model_rows(via or provider, model, names=names, version=version,
                               effective_from=effective_from, skipped=skipped)
            if not found:
                if via is None:
                    skipped.append(Skipped(biller, model.id, "model",
                                           "no per-token input and output price"))
                continue
            if via is not None:
                for row in found:  # priced under the provider that bills, not the fallback
                    row["provider"] = biller
                    row["price_id"] = row["price_id"].replace(
                        f"/{provider_name(via.id)}/", f"/{biller}/", 1)
                    row["notes"] = f"genai-prices {version} {via.id}/{model.id} (fallback of " \
                                   f"{provider.id})"
            rows += found
    return rows, _dedupe(skipped)


def _dedupe(skipped: list[Skipped]) -> list[Skipped]:
    seen, kept = set(), []
    for item in skipped:
        key = (item.provider, item.model, item.what)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def format_skipped(skipped: list[Skipped]) -> str:
    """One line per skipped price: provider, genai-prices model, what, why."""
    return "".join(f"{item.provider}\t{item.model}\t{item.what}\t{item.reason}\n"
                   for item in skipped)


def import_genai_prices(out_dir: Path, *, effective_from: date = DEFAULT_EFFECTIVE_FROM,
                        providers=None, version: str | None = None
                        ) -> tuple[Path, int, list[Skipped]]:
    """Write ``genai-prices-<version>.csv`` atomically: nothing changes unless it loads."""
    if providers is None:
        version = installed_version()
        from genai_prices import data

        providers = data.providers
    rows, skipped = genai_rows(providers, version, effective_from)
    if not rows:
        raise PriceFileError("genai-prices: no model with per-token prices found")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"genai-prices-{version}.csv"
    handle, temp = tempfile.mkstemp(dir=out_dir, prefix=".genai-prices-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=PRICE_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        check_overlaps(read_price_file(Path(temp), "genai_prices"))
        os.chmod(temp, 0o644)
        os.replace(temp, target)
        target.with_suffix(".skipped.txt").write_text(format_skipped(skipped))
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return target, len(rows), skipped
