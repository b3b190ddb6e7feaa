"""Shipped offline routing scorers: a score per request from its prompt features, as one SQL
expression so the same code scores a million logged requests in DuckDB and a labelled set.

A scorer is data (``scorers/<name>.json``): an intercept, weights for numeric features and
weights for keyword patterns over the prompt's last user turn. It reads only request-side
fields (never output or reasoning tokens, never latency), so it could run before the call.
Numeric features, over a relation with columns ``last_user_tokens``, ``input_tokens``,
``message_count``, ``has_tools``, ``prompt_text``:

* ``ln_prompt_tokens`` = ln(1 + last user turn tokens), ``input_tokens`` when the request
  logged no prompt (then the keyword patterns see no text and add nothing);
* ``ln_message_count`` = ln(1 + messages); ``has_tools`` = 1 when tools were offered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SCORER_DIR = Path(__file__).parent / "scorers"
DEFAULT_SCORER = "heuristic_v1"
_NUMERIC = {
    "ln_prompt_tokens": "ln(1 + greatest(coalesce({t}.last_user_tokens, {t}.input_tokens, 0), 0))",
    "ln_message_count": "ln(1 + greatest(coalesce({t}.message_count, 1), 0))",
    "has_tools": "CAST(coalesce({t}.has_tools, false) AS DOUBLE)",
}


class ScorerError(ValueError):
    pass


@dataclass(frozen=True)
class Scorer:
    name: str
    intercept: float
    numeric: dict[str, float]
    patterns: tuple[tuple[str, str, float], ...]  # (name, regex, weight)
    weights_source: str

    def sql(self, table: str) -> tuple[str, list]:
        """The score as a SQL expression over ``table``'s columns, with its bound parameters
        (the patterns) in order."""
        terms = [repr(float(self.intercept))]
        params: list = []
        for feature, weight in self.numeric.items():
            terms.append(f"{float(weight)!r} * {_NUMERIC[feature].format(t=table)}")
        for _, regex, weight in self.patterns:
            terms.append(f"{float(weight)!r} * CAST(regexp_matches(coalesce({table}.prompt_text, "
                         f"''), ?) AS DOUBLE)")
            params.append(regex)
        return "(" + " + ".join(terms) + ")", params


def names() -> tuple[str, ...]:
    """Shipped scorers, the default first."""
    found = sorted(p.stem for p in SCORER_DIR.glob("*.json"))
    return tuple(sorted(found, key=lambda n: n != DEFAULT_SCORER))


@cache
def load(name: str) -> Scorer:
    path = SCORER_DIR / f"{name}.json"
    if not path.exists():
        raise ScorerError(f"no scorer {name!r}; shipped: {', '.join(names())}")
    raw = json.loads(path.read_text())
    unknown = sorted(set(raw.get("numeric", {})) - set(_NUMERIC))
    if unknown:
        raise ScorerError(f"{path}: unknown numeric feature(s) {', '.join(unknown)}")
    return Scorer(raw["name"], float(raw.get("intercept", 0.0)), dict(raw.get("numeric", {})),
                  tuple((p["name"], p["regex"], float(p["weight"])) for p in raw["patterns"]),
                  raw.get("weights_source", ""))
