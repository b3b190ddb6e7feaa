"""LiteLLM's bundled price map (``model_prices_and_context_window.json``) -> a dated price
version ``litellm-<date>.csv`` (``llmcost prices import-litellm``). The map has no dates: the
whole version takes effect on ``--effective-from``.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipelines.pricing import PRICE_COLUMNS, PriceFileError, read_price_file

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
