"""Simulation settings: defaults, overridden by ``$LLMCOST_HOME/savings.toml``.

Example ``savings.toml`` (every key optional)::

    [cache]
    ttl_seconds = 86400            # a cached answer lives one day
    capacity = 0                   # entries per scope; 0 = unlimited (LRU eviction otherwise)
    scope = "feature"              # default scope of cache_opportunities: global | team | feature
    exclude_streaming = false
    exclude_tool_calls = true      # a response that calls a tool is an action, not an answer
    max_temperature = 0.7          # above this, answers are meant to vary: not cached
    exclude_features = ["support/support-bot"]   # team/feature pairs with personalised answers

    [semantic]
    thresholds = [0.75, 0.80, 0.85, 0.88, 0.90, 0.92, 0.95, 0.97, 0.99]
    min_precision = 0.95           # default threshold: the lowest whose calibrated precision
                                   # reaches this (or set default_threshold = 0.9)
    neighbours = 16
    max_query_tokens = 512         # a longer last turn (pasted document) is matched exactly only

    [waste]
    history_keep_turns = 4         # summarise conversation history past this many turns
    summary_tokens = 300           # a summary costs this many tokens instead
    context_budget_tokens = 4000   # retrieved context above this is oversized

    [routing]                      # routing policies: see pipelines/routing/policies.py
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from pipelines.routing import policies as routing_policies
from pipelines.routing import scorer as routing_scorer

SCOPES = ("global", "team", "feature")
DEFAULT_THRESHOLDS = (0.75, 0.80, 0.85, 0.88, 0.90, 0.92, 0.95, 0.97, 0.99)


class SavingsConfigError(ValueError):
    pass


@dataclass(frozen=True)
class CacheConfig:
    ttl_seconds: float = 86400.0
    capacity: int = 0
    scope: str = "feature"
    exclude_streaming: bool = False
    exclude_tool_calls: bool = True
    max_temperature: float = 0.7
    exclude_features: tuple[str, ...] = ()


@dataclass(frozen=True)
class SemanticConfig:
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    min_precision: float = 0.95
    default_threshold: float | None = None
    neighbours: int = 16
    max_query_tokens: int = 512


@dataclass(frozen=True)
class WasteConfig:
    history_keep_turns: int = 4
    summary_tokens: int = 300
    context_budget_tokens: int = 4000


@dataclass(frozen=True)
class SavingsConfig:
    cache: CacheConfig = field(default_factory=CacheConfig)
    semantic: SemanticConfig = field(default_factory=SemanticConfig)
    waste: WasteConfig = field(default_factory=WasteConfig)
    routing: routing_policies.RoutingConfig = field(
        default_factory=routing_policies.RoutingConfig)
    source: str = "defaults"


def _section(cls, values: dict, name: str, path: Path):
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SavingsConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)} in [{name}]; known: "
            f"{', '.join(sorted(known))}")
    out = cls()
    for key, value in values.items():
        default = getattr(out, key)
        if isinstance(default, tuple):
            if not isinstance(value, list):
                raise SavingsConfigError(f"{path}: [{name}] {key} must be a list")
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise SavingsConfigError(f"{path}: [{name}] {key} must be true or false")
        elif isinstance(default, int) and not isinstance(default, bool):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SavingsConfigError(f"{path}: [{name}] {key} must be a whole number >= 0")
        elif isinstance(default, float) or key == "default_threshold":
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise SavingsConfigError(f"{path}: [{name}] {key} must be a number >= 0")
        out = replace(out, **{key: value})
    return out


def load(home_root: Path) -> SavingsConfig:
    path = home_root / "savings.toml"
    if not path.exists():
        return SavingsConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SavingsConfigError(f"{path}: not valid TOML: {exc}") from exc
    sections = {"cache": CacheConfig, "semantic": SemanticConfig, "waste": WasteConfig}
    unknown = sorted(set(raw) - set(sections) - {"routing"})
    if unknown:
        raise SavingsConfigError(f"{path}: unknown section(s) {', '.join(unknown)}; "
                                 f"known: {', '.join([*sections, 'routing'])}")
    try:
        routing = routing_policies.parse(raw.get("routing", {}), path, routing_scorer.names())
    except routing_policies.RoutingConfigError as exc:
        raise SavingsConfigError(str(exc)) from exc
    config = SavingsConfig(
        **{name: _section(cls, raw.get(name, {}), name, path) for name, cls in sections.items()},
        routing=routing, source=str(path))
    if config.cache.scope not in SCOPES:
        raise SavingsConfigError(f"{path}: [cache] scope must be one of {', '.join(SCOPES)}")
    thresholds = config.semantic.thresholds
    if not thresholds or any(isinstance(t, bool) or not isinstance(t, (int, float))
                             or not 0 < t <= 1 for t in thresholds):
        raise SavingsConfigError(f"{path}: [semantic] thresholds must be numbers in (0, 1]")
    chosen = config.semantic.default_threshold
    if chosen is not None and not 0 < chosen <= 1:
        raise SavingsConfigError(f"{path}: [semantic] default_threshold must be in (0, 1]")
    if config.cache.ttl_seconds <= 0:
        raise SavingsConfigError(f"{path}: [cache] ttl_seconds must be > 0")
    if config.semantic.neighbours < 1:
        raise SavingsConfigError(f"{path}: [semantic] neighbours must be >= 1")
    if not all(isinstance(f, str) and "/" in f for f in config.cache.exclude_features):
        raise SavingsConfigError(
            f"{path}: [cache] exclude_features are \"team/feature\" strings")
    return config
