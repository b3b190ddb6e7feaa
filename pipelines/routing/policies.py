"""Routing policies from ``[routing]`` in ``savings.toml``: validated settings, and the policies
compiled into one SQL predicate so every request is matched in one vectorised pass.

Example (every key of ``[routing]`` optional; no policy = no routing simulation)::

    [routing]
    output_length_ratio = [0.75, 1.0, 1.5]  # low, point, high: target output tokens / actual
    cold_cache = "uncached"                 # uncached | write_5m | warm
    router_fee_usd_per_mtok = 0.0           # a hosted router's fee per input MTok, subtracted
    min_ab_requests = 30                    # A/B evidence needs this many requests per arm

    [[routing.policies]]
    name = "summaries-to-haiku"
    kind = "rule"                           # rule | classifier | weighted
    when = { feature = { "$in" = ["summarizer"] }, input_tokens = { "$lte" = 20000 } }
    from = ["anthropic/claude-sonnet-4-5"]
    to = "anthropic/claude-haiku-4-5"

A request goes to the first policy (in file order) whose ``from`` holds its ``provider/model``
and whose ``when`` holds (Portkey's conditional-router semantics).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

COLD_CACHE = ("uncached", "write_5m", "warm")
KINDS = ("rule", "classifier", "weighted")
# Request columns a `when` may test, and whether they are numbers or text (booleans compare
# with $eq / $ne).
WHEN_COLUMNS = {
    "team": "text", "feature": "text", "environment": "text", "project": "text",
    "model": "text", "provider": "text", "service_tier": "text", "user_id": "text",
    "api_surface": "text", "source": "text",
    "input_tokens": "number", "output_tokens": "number", "last_user_tokens": "number",
    "message_count": "number", "system_prompt_tokens": "number", "tools_tokens": "number",
    "temperature": "number",
    "has_tools": "bool", "is_streaming": "bool", "has_tool_calls": "bool",
}
OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex")
_COMPARE = {"$eq": "=", "$ne": "<>", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_MODEL_ID = re.compile(r"^[a-z0-9_.-]+/[^/\s]+$")


class RoutingConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    model: str  # provider/model
    weight: float


@dataclass(frozen=True)
class Policy:
    name: str
    kind: str
    from_models: tuple[str, ...]
    targets: tuple[Target, ...]  # rule/classifier: one, weight 1; weighted: every arm
    when: tuple[tuple[str, str, object], ...] = ()  # (column, operator, value)
    scorer: str = "heuristic_v1"
    strong_share: float = 0.0


@dataclass(frozen=True)
class RoutingConfig:
    output_length_ratio: tuple[float, float, float] = (0.75, 1.0, 1.5)
    cold_cache: str = "uncached"
    router_fee_usd_per_mtok: float = 0.0
    min_ab_requests: int = 30
    policies: tuple[Policy, ...] = field(default_factory=tuple)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _model_id(value, key: str, where: str) -> str:
    if not isinstance(value, str) or not _MODEL_ID.match(value):
        raise RoutingConfigError(f"{where}: {key} must be a \"provider/model\" id, "
                                 f"got {value!r}")
    return value


def _when(raw, where: str) -> tuple[tuple[str, str, object], ...]:
    if not isinstance(raw, dict):
        raise RoutingConfigError(f"{where}: when must be a table of column = {{ op = value }}")
    out = []
    for column, test in raw.items():
        kind = WHEN_COLUMNS.get(column)
        if kind is None:
            raise RoutingConfigError(f"{where}: when.{column} is not a request column a policy "
                                     f"can test; known: {', '.join(sorted(WHEN_COLUMNS))}")
        if not isinstance(test, dict) or not test:
            test = {"$eq": test}
        for op, value in test.items():
            key = f"when.{column}.{op}"
            if op not in OPERATORS:
                raise RoutingConfigError(f"{where}: {key}: unknown operator; known: "
                                         f"{' '.join(OPERATORS)}")
            if op in ("$in", "$nin"):
                if not isinstance(value, list) or not value:
                    raise RoutingConfigError(f"{where}: {key} must be a non-empty list")
                items = value
            else:
                items = [value]
            for item in items:
                if op == "$regex":
                    if kind != "text" or not isinstance(item, str):
                        raise RoutingConfigError(f"{where}: {key} needs a text column and a "
                                                 "pattern string")
                    try:
                        re.compile(item)
                    except re.error as exc:
                        raise RoutingConfigError(f"{where}: {key}: bad pattern: {exc}") from exc
                elif kind == "number" and not _number(item):
                    raise RoutingConfigError(f"{where}: {key} must be a number for {column}")
                elif kind == "text" and not isinstance(item, str):
                    raise RoutingConfigError(f"{where}: {key} must be text for {column}")
                elif kind == "bool" and (not isinstance(item, bool)
                                         or op not in ("$eq", "$ne")):
                    raise RoutingConfigError(f"{where}: {key}: {column} is true/false, tested "
                                             "with $eq or $ne")
            if kind == "text" and op in ("$gt", "$gte", "$lt", "$lte"):
                raise RoutingConfigError(f"{where}: {key}: {column} is text; use $eq $ne $in "
                                         "$nin $regex")
            out.append((column, op, tuple(value) if isinstance(value, list) else value))
    return tuple(out)


_POLICY_KEYS = {"rule": {"name", "kind", "when", "from", "to"},
                "classifier": {"name", "kind", "when", "from", "to", "scorer", "strong_share"},
                "weighted": {"name", "kind", "when", "from", "targets"}}


def _policy(raw, index: int, path: Path, scorers: tuple[str, ...]) -> Policy:
    where = f"{path}: [[routing.policies]] #{index + 1}"
    if not isinstance(raw, dict):
        raise RoutingConfigError(f"{where} must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RoutingConfigError(f"{where}: name is required (text)")
    where = f"{path}: [[routing.policies]] {name!r}"
    kind = raw.get("kind")
    if kind not in KINDS:
        raise RoutingConfigError(f"{where}: kind must be one of {', '.join(KINDS)}")
    unknown = sorted(set(raw) - _POLICY_KEYS[kind])
    if unknown:
        raise RoutingConfigError(f"{where}: unknown key(s) {', '.join(unknown)} for a {kind} "
                                 f"policy; known: {', '.join(sorted(_POLICY_KEYS[kind]))}")
    sources = raw.get("from")
    if not isinstance(sources, list) or not sources:
        raise RoutingConfigError(f"{where}: from must be a non-empty list of "
                                 "\"provider/model\" ids")
    from_models = tuple(_model_id(m, "from", where) for m in sources)
    when = _when(raw.get("when", {}), where)
    if kind == "weighted":
        arms = raw.get("targets")
        if not isinstance(arms, list) or not arms:
            raise RoutingConfigError(f"{where}: targets must be a non-empty list of "
                                     "{ model = ..., weight = ... }")
        targets = []
        for arm in arms:
            # Explicit weights: LiteLLM reads a missing weight as 0, Portkey as 1.
            if not isinstance(arm, dict) or set(arm) != {"model", "weight"}:
                raise RoutingConfigError(f"{where}: each of targets needs exactly model and "
                                         "weight (no default weight)")
            if not _number(arm["weight"]) or arm["weight"] < 0:
                raise RoutingConfigError(f"{where}: targets.weight must be a number >= 0")
            targets.append(Target(_model_id(arm["model"], "targets.model", where),
                                  float(arm["weight"])))
        if sum(t.weight for t in targets) <= 0:
            raise RoutingConfigError(f"{where}: targets' weights add up to 0")
        if len({t.model for t in targets}) != len(targets):
            raise RoutingConfigError(f"{where}: targets name a model twice")
        return Policy(name, kind, from_models, tuple(targets), when)
    target = _model_id(raw.get("to"), "to", where)
    if kind == "rule":
        return Policy(name, kind, from_models, (Target(target, 1.0),), when)
    scorer = raw.get("scorer", "default")
    if scorer == "default":
        scorer = scorers[0]
    if scorer not in scorers:
        raise RoutingConfigError(f"{where}: scorer must be one of default, "
                                 f"{', '.join(scorers)}")
    share = raw.get("strong_share")
    if not _number(share) or not 0 <= share <= 1:
        raise RoutingConfigError(f"{where}: strong_share must be a number in [0, 1]")
    return Policy(name, kind, from_models, (Target(target, 1.0),), when, scorer, float(share))


def parse(raw: dict, path: Path, scorers: tuple[str, ...]) -> RoutingConfig:
    """``[routing]`` as read from TOML; raises RoutingConfigError naming the key."""
    known = {"output_length_ratio", "cold_cache", "router_fee_usd_per_mtok", "min_ab_requests",
             "policies"}
    if not isinstance(raw, dict):
        raise RoutingConfigError(f"{path}: [routing] must be a table")
    unknown = sorted(set(raw) - known)
    if unknown:
        raise RoutingConfigError(f"{path}: unknown key(s) {', '.join(unknown)} in [routing]; "
                                 f"known: {', '.join(sorted(known))}")
    config = RoutingConfig()
    ratio = raw.get("output_length_ratio", list(config.output_length_ratio))
    if (not isinstance(ratio, list) or len(ratio) != 3 or not all(_number(r) for r in ratio)
            or not 0 < ratio[0] <= ratio[1] <= ratio[2]):
        raise RoutingConfigError(f"{path}: [routing] output_length_ratio must be [low, point, "
                                 "high] with 0 < low <= point <= high")
    cold = raw.get("cold_cache", config.cold_cache)
    if cold not in COLD_CACHE:
        raise RoutingConfigError(f"{path}: [routing] cold_cache must be one of "
                                 f"{', '.join(COLD_CACHE)}")
    fee = raw.get("router_fee_usd_per_mtok", config.router_fee_usd_per_mtok)
    if not _number(fee) or fee < 0:
        raise RoutingConfigError(f"{path}: [routing] router_fee_usd_per_mtok must be a "
                                 "number >= 0")
    min_ab = raw.get("min_ab_requests", config.min_ab_requests)
    if not isinstance(min_ab, int) or isinstance(min_ab, bool) or min_ab < 1:
        raise RoutingConfigError(f"{path}: [routing] min_ab_requests must be a whole number "
                                 ">= 1")
    policies = raw.get("policies", [])
    if not isinstance(policies, list):
        raise RoutingConfigError(f"{path}: [routing] policies must be [[routing.policies]] "
                                 "tables")
    parsed = tuple(_policy(p, i, path, scorers) for i, p in enumerate(policies))
    names = [p.name for p in parsed]
    duplicate = sorted({n for n in names if names.count(n) > 1})
    if duplicate:
        raise RoutingConfigError(f"{path}: [[routing.policies]] name {duplicate[0]!r} is used "
                                 "twice")
    return RoutingConfig((float(ratio[0]), float(ratio[1]), float(ratio[2])), cold, float(fee),
                         min_ab, parsed)


def _condition(column: str, op: str, value, params: list) -> str:
    # Column names come from WHEN_COLUMNS (validated), values are bound parameters.
    if op in _COMPARE:
        params.append(value)
        return f"requests.{column} {_COMPARE[op]} ?"
    if op == "$regex":
        params.append(value)
        return f"regexp_matches(requests.{column}, ?)"
    params.append(list(value))
    test = f"list_contains(?, requests.{column})"
    # $nin: a NULL column is "not in" the list (Portkey reads a missing field as no match).
    return test if op == "$in" else f"coalesce(NOT {test}, true)"


def match_expression(policies: tuple[Policy, ...]) -> tuple[str, list]:
    """A SQL expression over ``requests`` giving the 1-based index of the first policy a
    request matches (NULL: none), and its bound parameters in order."""
    if not policies:
        return "CAST(NULL AS INTEGER)", []
    params: list = []
    arms = []
    for index, policy in enumerate(policies, start=1):
        params.append(list(policy.from_models))
        tests = ["list_contains(?, requests.provider || '/' || requests.model)"]
        tests += [f"coalesce({_condition(c, op, v, params)}, false)" for c, op, v in policy.when]
        arms.append(f"WHEN {' AND '.join(tests)} THEN {index}")
    return f"CASE {' '.join(arms)} END", params
