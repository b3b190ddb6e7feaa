"""Deterministic, realistic demo workload: LiteLLM, OpenAI and Anthropic request logs.

Writes the raw files a real deployment would land, in each source's exact wire shape:

    landing_dir/litellm/spend_logs_YYYY-MM-DD.jsonl   LiteLLM_SpendLogs rows (metadata and
                                                      request_tags are JSON-encoded *strings*,
                                                      naive UTC "YYYY-MM-DD HH:MM:SS.ffffff")
    landing_dir/litellm/callbacks_YYYY-MM-DD.jsonl    StandardLoggingPayload callbacks (real
                                                      objects, float epoch seconds)
    landing_dir/openai/openai_YYYY-MM-DD.jsonl        SDK capture envelope around a Chat
                                                      Completions or Responses body; ~1% bare bodies
    landing_dir/anthropic/anthropic_YYYY-MM-DD.jsonl  SDK capture envelope around a Messages body

Capture envelope: {"request_id", "started_at", "ended_at" (RFC 3339, Z), "status"
("success"|"failure"), "metadata": {team, feature, environment, session_id, user_id}, "request":
the SDK call's arguments, "response": the raw body} -- a failed call carries "error" (the
provider's error body) instead of "response".

The traps are the real ones: Anthropic ``input_tokens`` excludes cache reads and writes while
OpenAI's and LiteLLM's ``prompt_tokens`` include them; LiteLLM's ``spend`` comes from LiteLLM's
own price map (1-hour cache writes at the 5-minute rate, no >272k tier for gpt-5.4, cache
discounts missed on ~15% of calls, $0 for a model it does not know), so it never quite matches
our price. A few dozen records are broken
on purpose; ``generate_demo`` returns how many of each kind so tests can assert them.

Prompts (``prompts.py``; the text is data in ``material/``, loaded by ``corpus.py``): every call
has a real prompt -- a long system prompt per feature (some bumped to a second version late in
the period), tool schemas for the agents, few-shot blocks, FAQ questions with verbatim repeats
and paraphrases, growing session histories, retrieved contexts -- and a reply, and its input
tokens are counted from that text.
Records *show* the text only in the content window, the last ``CONTENT_DAYS`` of the period
(prompt logging switched on late; full text on every record would be ~2 GB):

- SDK captures carry the full request (Chat ``messages`` / Responses ``instructions`` + ``input``
  / Anthropic ``system`` + ``messages``, ``tools``, sampling parameters) and the reply; outside
  the window the request keeps only the model and sampling parameters and the body has no
  message text. Chained Responses sessions send only the new items after
  ``previous_response_id`` (their ``input_tokens`` still count the whole conversation).
- LiteLLM SpendLogs: ``messages`` / ``response`` JSON strings (and the request parameters in
  ``proxy_server_request``) except for ``NO_PROMPT_TEAMS``, whose proxy keeps ``"{}"``;
  callbacks: ``messages`` (list), ``response`` (object); ``model_parameters`` on every call.

Same seed and arguments => byte-identical files.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import math
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipelines.demo import incidents
from pipelines.demo import prompts as P

SOURCES = ("litellm", "openai", "anthropic")
BAD_KINDS = (
    "malformed_json",
    "missing_request_id",
    "missing_model",
    "negative_tokens",
    "non_numeric_tokens",
    "naive_timestamp",
    "duplicate_same_file",
    "duplicate_cross_file",
)
DUPLICATE_KINDS = ("duplicate_same_file", "duplicate_cross_file")

# Which records get broken, per source and file shape. Fixed counts (not a share of traffic) so
# the quarantine stays "a few dozen" at any size and tests can assert exact numbers.
BAD_PLAN: dict[str, tuple[tuple[str, str, int], ...]] = {
    "litellm": (
        ("malformed_json", "spend_log", 2),
        ("malformed_json", "callback", 1),
        ("missing_request_id", "spend_log", 2),
        ("missing_request_id", "callback", 1),
        ("missing_model", "spend_log", 2),
        ("negative_tokens", "spend_log", 2),
        ("non_numeric_tokens", "spend_log", 2),
        ("duplicate_same_file", "spend_log", 2),
        ("duplicate_same_file", "callback", 1),
        ("duplicate_cross_file", "spend_log", 2),
    ),
    "openai": (
        ("malformed_json", "envelope", 2),
        ("missing_model", "envelope", 2),
        ("negative_tokens", "envelope", 1),
        ("non_numeric_tokens", "envelope", 2),
        ("naive_timestamp", "envelope", 3),
        ("duplicate_same_file", "envelope", 1),
        ("duplicate_cross_file", "envelope", 1),
    ),
    "anthropic": (
        ("malformed_json", "envelope", 2),
        ("missing_model", "envelope", 1),
        ("missing_request_id", "envelope", 1),
        ("negative_tokens", "envelope", 2),
        ("non_numeric_tokens", "envelope", 1),
        ("naive_timestamp", "envelope", 3),
        ("duplicate_same_file", "envelope", 1),
        ("duplicate_cross_file", "envelope", 2),
    ),
}


# --------------------------------------------------------------------------------------------
# Model catalogue
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Model:
    name: str  # canonical (model_group in LiteLLM)
    vendor: str  # openai | anthropic | gemini | acme | mistral
    snapshot: str | None  # dated id the provider reports back
    # LiteLLM's own price map, USD per 1M tokens: input, cache read, 5m cache write, output.
    # Deliberately NOT the project's price table: the demo needs something to reconcile.
    litellm_usd: tuple[float, float, float, float] | None
    tokens_per_s: int
    reasoning: bool = False
    cache_min: int = 1024  # provider minimum cacheable prefix


MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model("gpt-5.4", "openai", "gpt-5.4-2026-03-05", (2.5, 0.25, 0.0, 15.0), 55, True),
        Model("gpt-5.4-mini", "openai", None, (0.75, 0.075, 0.0, 4.5), 140, True),
        Model("gpt-5", "openai", "gpt-5-2025-08-07", (1.25, 0.125, 0.0, 10.0), 60, True),
        Model("gpt-5-mini", "openai", None, (0.25, 0.025, 0.0, 2.0), 130, True),
        Model("gpt-4.1", "openai", "gpt-4.1-2025-04-14", (2.0, 0.5, 0.0, 8.0), 75),
        Model("gpt-4.1-mini", "openai", None, (0.4, 0.1, 0.0, 1.6), 120),
        Model("gpt-4o", "openai", "gpt-4o-2024-08-06", (2.5, 1.25, 0.0, 10.0), 80),
        Model("gpt-4o-mini", "openai", "gpt-4o-mini-2024-07-18", (0.15, 0.075, 0.0, 0.6), 120),
        Model("o3", "openai", "o3-2025-04-16", (2.0, 0.5, 0.0, 8.0), 60, True),
        Model("claude-opus-4-6", "anthropic", None, (5.0, 0.5, 6.25, 25.0), 45, cache_min=4096),
        Model("claude-sonnet-4-6", "anthropic", None, (3.0, 0.3, 3.75, 15.0), 70, cache_min=2048),
        Model("claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5-20250929",
              (3.0, 0.3, 3.75, 15.0), 70, cache_min=1024),
        Model("claude-haiku-4-5", "anthropic", "claude-haiku-4-5-20251001",
              (1.0, 0.1, 1.25, 5.0), 140, cache_min=4096),
        Model("gemini-2.5-pro", "gemini", None, (1.25, 0.125, 0.0, 10.0), 70, True, 2048),
        Model("gemini-2.5-flash", "gemini", None, (0.3, 0.03, 0.0, 2.5), 160, True, 2048),
        # Unpriced by the project. LiteLLM knows Mistral's list price but not a self-hosted model.
        Model("acme-llm-7b", "acme", None, None, 90),
        Model("mistral-large-2411", "mistral", None, (2.0, 2.0, 0.0, 6.0), 60),
    )
}
FLEX_MODELS = frozenset({"gpt-5.4", "gpt-5", "gpt-5-mini", "o3"})
REGULAR_CONTEXT_CAP = 180_000  # below every long-context price threshold

# Content logging: records show their prompt and reply text only for the last CONTENT_DAYS of
# the period (prompt logging was switched on at noon two days before the end, to evaluate
# caching; full text on every record would be ~2 GB). LiteLLM's SpendLogs never store prompts
# for NO_PROMPT_TEAMS (their proxy runs with store_prompts_in_spend_logs off).
CONTENT_DAYS = 1.5
NO_PROMPT_TEAMS = frozenset({"platform", "research"})


def content_from_day(days: int) -> float:
    """When content logging starts, in days from the start of the period."""
    return max(0.0, days - CONTENT_DAYS)

LITELLM_DEPLOYMENTS = {
    # vendor -> (custom_llm_provider, api_base template)
    "openai": ("openai", "https://api.openai.com/v1"),
    "anthropic": ("anthropic", "https://api.anthropic.com/v1/messages"),
    "gemini": ("gemini",
               "https://generativelanguage.googleapis.com/v1beta/models/{model}:generateContent"),
    "acme": ("openai", "http://vllm-acme.ml.internal:8000/v1"),
    "mistral": ("mistral", "https://api.mistral.ai/v1"),
}


# --------------------------------------------------------------------------------------------
# Workload: teams, features, keys
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Feature:
    team: str
    name: str
    weight: float  # share of calls (not of sessions)
    pattern: str  # single | chat | agent
    models: tuple[tuple[str, float], ...]
    system_tokens: int  # long shared system prompt / tool definitions: the cacheable prefix
    # Size of the variable user content where the text is sized to it (retrieved context,
    # ticket, transcript, diff, document); other features' turns are sized by their text.
    input_median: int
    input_sigma: float
    output_median: int
    web_search_p: float = 0.0
    prod_share: float = 0.8
    customer_facing: bool = True


FEATURES: tuple[Feature, ...] = (
    Feature("search", "answer-synthesis", 13, "single",
            (("gpt-4.1", 3), ("gpt-5.4-mini", 2), ("gemini-2.5-flash", 3),
             ("claude-haiku-4-5", 2), ("claude-sonnet-4-5", 1)),
            2200, 2500, 0.5, 320, web_search_p=0.2),
    Feature("search", "query-rewrite", 12, "single",
            (("gpt-4.1-mini", 3), ("gpt-4o-mini", 3), ("gemini-2.5-flash", 2),
             ("claude-haiku-4-5", 2)),
            650, 30, 0.5, 45),
    Feature("support", "support-bot", 16, "chat",
            (("gpt-4o", 3), ("gpt-5-mini", 2), ("claude-sonnet-4-5", 3), ("claude-haiku-4-5", 2),
             ("gemini-2.5-flash", 1)),
            4800, 160, 0.7, 260),
    Feature("support", "ticket-triage", 8, "single",
            (("gpt-4o-mini", 3), ("gpt-5-mini", 2), ("claude-haiku-4-5", 3),
             ("gemini-2.5-flash", 2)),
            1400, 450, 0.6, 70),
    Feature("support", "summarizer", 6, "single",
            (("gpt-4.1-mini", 2), ("gpt-5.4-mini", 1), ("claude-haiku-4-5", 2),
             ("claude-sonnet-4-6", 1), ("gemini-2.5-flash", 2)),
            900, 3000, 0.6, 380),
    Feature("growth", "email-drafts", 7, "single",
            (("gpt-4o", 2), ("gpt-5-mini", 2), ("claude-sonnet-4-6", 2), ("gemini-2.5-flash", 1)),
            1100, 60, 0.5, 480),
    Feature("growth", "lead-enrichment", 5, "single",
            (("gpt-4.1-mini", 2), ("gpt-5-mini", 2), ("claude-haiku-4-5", 1),
             ("gemini-2.5-flash", 1)),
            800, 250, 0.6, 300, web_search_p=0.4),
    Feature("platform", "code-review", 7, "chat",
            (("claude-sonnet-4-5", 3), ("claude-sonnet-4-6", 2), ("gpt-5", 2), ("o3", 1),
             ("gpt-5.4", 1), ("gemini-2.5-pro", 1)),
            2600, 2500, 0.6, 1100, customer_facing=False),
    Feature("platform", "agent", 10, "agent",
            (("claude-sonnet-4-6", 3), ("claude-sonnet-4-5", 2), ("claude-opus-4-6", 1),
             ("gpt-5", 2), ("gpt-5.4", 2), ("gemini-2.5-pro", 1)),
            6200, 600, 0.9, 420, customer_facing=False),
    Feature("research", "agent", 6, "agent",
            (("claude-opus-4-6", 2), ("claude-sonnet-4-6", 2), ("gpt-5.4", 2), ("o3", 1),
             ("gemini-2.5-pro", 2)),
            7400, 700, 0.9, 520, web_search_p=0.1, customer_facing=False),
    Feature("research", "doc-qa", 5, "single",
            (("gemini-2.5-pro", 2), ("claude-sonnet-4-5", 2), ("gpt-4.1", 2), ("gpt-5.4", 1)),
            1200, 6000, 0.7, 650, customer_facing=False),
    Feature("research", "eval-harness", 5, "single",
            (("claude-haiku-4-5", 2), ("claude-sonnet-4-5", 1), ("gpt-4o-mini", 2),
             ("gpt-5-mini", 2), ("o3", 1), ("gemini-2.5-flash", 1)),
            1600, 150, 0.5, 40, prod_share=0.35, customer_facing=False),
)
FEATURE_BY_KEY = {(f.team, f.name): f for f in FEATURES}
TEAMS = ("search", "support", "growth", "platform", "research")
ENGINEERS = ("u_asmith", "u_bkumar", "u_cnguyen", "u_dlopez", "u_emuller", "u_fokafor",
             "u_gchen", "u_hsato", "u_ipetrov", "u_jlee")
CAMPAIGN_FEATURE = ("growth", "email-drafts")  # a marketing send: a 4x spike on one weekday

def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Key:
    alias: str
    token_hash: str  # LiteLLM stores sha256 of the virtual key
    user_id: str


def _build_keys(seed: int) -> dict[tuple[str, str], Key]:
    keys = {}
    for i, team in enumerate(TEAMS):
        for env in ("prod", "staging", "dev"):
            owner = f"svc-{team}" if env != "dev" else ENGINEERS[(2 * i) % len(ENGINEERS)]
            alias = f"{team}-{env}" if env != "dev" else f"{team}-dev-{owner[2:]}"
            keys[(team, env)] = Key(alias, _sha256(f"sk-demo-{seed}-{alias}"), owner)
    return keys


# --------------------------------------------------------------------------------------------
# One API call
# --------------------------------------------------------------------------------------------
class Call:
    __slots__ = (
        "t_us", "latency_us", "ttft_us", "source", "shape", "api", "feature", "env", "key",
        "user_id", "session_id", "trace_id", "model", "model_id_raw", "request_model",
        "input_total", "cache_read", "cache_w5m", "cache_w1h", "output", "reasoning",
        "web_search", "tier", "status", "error", "request_id", "response_id",
        "prev_response_id", "turn", "last_turn", "special", "ignore_cache", "ttl_1h", "day",
        # The prompt: the episode's Conversation (system prompt, tools, parameters), the
        # messages sent on this call, the assistant reply, whether the record shows them
        # (content logging), and whether a Responses session chains on previous_response_id.
        "conv", "msgs", "reply", "capture", "chained",
    )

    def __init__(self, **kw):
        get = kw.get
        for name in self.__slots__:
            setattr(self, name, get(name))


EPOCH = datetime(1970, 1, 1)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class Ids:
    """Provider-shaped ids from one RNG; a set guarantees uniqueness."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: set[str] = set()

    def _unique(self, make) -> str:
        while True:
            value = make()
            if value not in self.seen:
                self.seen.add(value)
                return value

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choices(alphabet, k=n))

    def hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def uuid4(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        variant = "89ab"[int(h[16], 16) & 3]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"

    def chatcmpl(self) -> str:
        return self._unique(lambda: "chatcmpl-" + self.chars(B62, 29))

    def litellm(self) -> str:
        return self._unique(lambda: "chatcmpl-" + self.uuid4())

    def call_id(self) -> str:
        return self._unique(self.uuid4)

    def resp(self) -> str:
        return self._unique(lambda: "resp_" + self.hex(50))

    def msg(self) -> str:
        return self._unique(lambda: "msg_01" + self.chars(B58, 22))

    def openai_req(self) -> str:
        return self._unique(lambda: "req_" + self.hex(32))

    def anthropic_req(self) -> str:
        return self._unique(lambda: "req_011C" + self.chars(B58, 20))

    def tool_call(self, source: str) -> str:
        if source == "anthropic":
            return self._unique(lambda: "toolu_01" + self.chars(B58, 22))
        return self._unique(lambda: "call_" + self.chars(B62, 24))


# --------------------------------------------------------------------------------------------
# Time: seasonality
# --------------------------------------------------------------------------------------------
HOURLY_PROD = (0.25, 0.2, 0.18, 0.17, 0.2, 0.3, 0.45, 0.65, 0.85, 1.0, 1.05, 1.0, 0.95, 1.05,
               1.2, 1.3, 1.25, 1.1, 0.9, 0.75, 0.6, 0.5, 0.4, 0.3)
HOURLY_WORK = tuple(1.0 if 8 <= h <= 18 else 0.06 for h in range(24))
HOURLY_BATCH = tuple(1.0 if 1 <= h <= 4 else 0.0 for h in range(24))


def _cumulative(weights) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


class Clock:
    """Samples occurrence times with weekday peaks, business hours and a growth trend."""

    def __init__(self, rng: random.Random, start: date, days: int):
        self.rng = rng
        self.start_us = int((datetime(start.year, start.month, start.day) - EPOCH)
                            .total_seconds()) * 1_000_000
        self.end_us = self.start_us + days * 86_400_000_000
        base = []
        for d in range(days):
            weekday = (start + timedelta(days=d)).weekday()
            base.append((1.0 if weekday < 5 else 0.38) * (1 + 0.012 * d) * rng.uniform(0.92, 1.08))
        work = [w if (start + timedelta(days=d)).weekday() < 5 else 0.05 * w
                for d, w in enumerate(base)]
        weekdays = [d for d in range(days) if (start + timedelta(days=d)).weekday() < 5]
        self.campaign_day = weekdays[len(weekdays) // 2] if weekdays else days // 2
        campaign = list(base)
        campaign[self.campaign_day] *= 4.0
        self.days = {"prod": _cumulative(base), "work": _cumulative(work),
                     "campaign": _cumulative(campaign)}
        self.hours = {"prod": _cumulative(HOURLY_PROD), "work": _cumulative(HOURLY_WORK),
                      "batch": _cumulative(HOURLY_BATCH)}

    def sample(self, day_profile: str, hour_profile: str) -> int:
        rng = self.rng
        day = rng.choices(range(len(self.days[day_profile])),
                          cum_weights=self.days[day_profile])[0]
        hour = rng.choices(range(24), cum_weights=self.hours[hour_profile])[0]
        return (self.start_us + day * 86_400_000_000 + hour * 3_600_000_000
                + int(rng.random() * 3_600_000_000))


# --------------------------------------------------------------------------------------------
# Workload generation
# --------------------------------------------------------------------------------------------
def _lognormal(rng: random.Random, median: float, sigma: float) -> int:
    return max(1, int(median * math.exp(rng.gauss(0.0, sigma))))


def _zipf_cum(n: int, s: float) -> list[float]:
    return _cumulative(1.0 / (rank ** s) for rank in range(1, n + 1))


CUSTOMER_CUM = _zipf_cum(4000, 0.9)  # a few heavy customers, a long tail


_PICK_CACHE: dict[tuple, tuple[list[str], list[float]]] = {}


def _pick(rng: random.Random, pairs) -> str:
    """rng.choices(names, weights)[0], with the cumulative weights computed once per list."""
    table = _PICK_CACHE.get(pairs)
    if table is None:
        table = _PICK_CACHE[pairs] = ([p[0] for p in pairs], _cumulative(p[1] for p in pairs))
    names, cum = table
    return names[bisect.bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]


class Workload:
    def __init__(self, requests: int, days: int, start: date, seed: int):
        self.rng = random.Random(seed)
        # Text choices draw from their own stream, so the workload's shape (times, models,
        # sessions) does not depend on the prompt material.
        self.text_rng = random.Random(f"{seed}:text")
        self.ids = Ids(random.Random(f"{seed}:ids"))
        self.clock = Clock(self.rng, start, days)
        self.keys = _build_keys(seed)
        self.requests = requests
        self.days = days
        self.book = P.Book(FEATURES, days)
        self.content_from = content_from_day(days)
        self.content_from_us = self.clock.start_us + int(self.content_from * 86_400_000_000)
        self.calls: list[Call] = []

    # -- helpers ---------------------------------------------------------------------------
    def _end_user(self, feature: Feature, env: str) -> str:
        rng = self.rng
        if not feature.customer_facing or env == "dev":
            return rng.choice(ENGINEERS)
        # A few heavy customers and a long tail (Zipf ranks).
        return f"cust_{rng.choices(range(4000), cum_weights=CUSTOMER_CUM)[0] + 1:05d}"

    def _env(self, feature: Feature) -> str:
        r = self.rng.random()
        rest = 1.0 - feature.prod_share
        if r < feature.prod_share:
            return "prod"
        return "staging" if r < feature.prod_share + rest * 0.6 else "dev"

    def _source(self) -> str:
        r = self.rng.random()
        return "litellm" if r < 0.5 else ("openai" if r < 0.75 else "anthropic")

    def _model_for(self, feature: Feature, source: str) -> str:
        pairs = feature.models
        if source == "openai":
            pairs = tuple(p for p in pairs if MODELS[p[0]].vendor == "openai")
        elif source == "anthropic":
            pairs = tuple(p for p in pairs if MODELS[p[0]].vendor == "anthropic")
        return _pick(self.rng, pairs)

    def _raw_model_id(self, model: Model, source: str) -> str:
        """The id the caller sees: dated snapshots most of the time where one exists."""
        if model.snapshot is None:
            return model.name
        if source == "litellm":
            return model.snapshot if self.rng.random() < 0.7 else model.name
        return model.snapshot  # OpenAI and Anthropic bodies report the resolved snapshot

    def _reasoning(self, model: Model, effort: int) -> int:
        """Reasoning tokens of a reasoning model; ``effort`` is the drawn answer size."""
        rng = self.rng
        if model.reasoning and not (model.vendor == "gemini" and model.name.endswith("flash")
                                    and rng.random() < 0.5):
            return _lognormal(rng, effort * (1.6 if model.name == "o3" else 1.0), 0.7)
        return 0

    def _latency(self, model: Model, input_total: int, output: int, tier: str) -> tuple[int, int]:
        rng = self.rng
        ttft_ms = 180 + input_total * 0.012 + rng.uniform(0, 250)
        if tier == "flex":
            ttft_ms *= 2.5
        gen_ms = output / model.tokens_per_s * 1000 * rng.uniform(0.8, 1.3)
        return int(ttft_ms * 1000), int((ttft_ms + gen_ms) * 1000)

    # -- cache accounting ------------------------------------------------------------------
    def _cache(self, model: Model, feature: Feature, input_total: int, prev: int | None,
               gap_s: float, ttl_1h: bool, prefix: int | None = None) -> tuple[int, int, int]:
        """(cache_read, cache_write_5m, cache_write_1h) for one call.

        prev = in a session, the prefix the previous turn left warm (its whole input for the
        automatic caches, what it read or wrote for Anthropic), else None. prefix = the
        prompt's static part (system prompt, tools, few-shot block), default the feature's
        system_tokens.
        """
        rng = self.rng
        system = min(feature.system_tokens if prefix is None else prefix, input_total)
        if model.vendor == "openai":
            # Automatic prefix caching: prompts of >= 1024 tokens, hits in 128-token steps.
            if input_total < 1024:
                return 0, 0, 0
            if prev is not None and gap_s < 300 and rng.random() < 0.92:
                hit = min(prev, input_total)
            elif rng.random() < 0.55:
                hit = system
            else:
                hit = 0
            hit = hit // 128 * 128
            return (hit if hit >= 1024 else 0), 0, 0
        if model.vendor == "gemini":
            if input_total < model.cache_min:
                return 0, 0, 0
            if prev is not None and gap_s < 300 and rng.random() < 0.7:
                return int(prev * rng.uniform(0.8, 0.98)), 0, 0
            if system >= model.cache_min and rng.random() < 0.3:
                return int(system * rng.uniform(0.85, 1.0)), 0, 0
            return 0, 0, 0
        if model.vendor != "anthropic":
            return 0, 0, 0
        # Anthropic: explicit cache_control breakpoints. Single calls cache the system prompt;
        # sessions put the breakpoint at the end so each turn reads the prefix the previous
        # turn cached and writes the new part. Below the model's minimum nothing is cached.
        if feature.pattern == "single":
            if system < model.cache_min:
                return 0, 0, 0
            if rng.random() < 0.72:
                return system, 0, 0
            return (0, 0, system) if ttl_1h else (0, system, 0)
        cut = input_total - rng.randint(3, 40)  # breakpoint: all but the newest few tokens
        if cut < model.cache_min:
            return 0, 0, 0
        system_cached = system >= model.cache_min
        if prev and gap_s < 300:
            read = min(prev, cut)
        elif prev and ttl_1h and system_cached and gap_s < 3600:
            read = system  # only the 1-hour system prefix survived the pause
        else:
            read = system if (system_cached and rng.random() < 0.5) else 0
        read = min(read, cut)
        write = cut - read
        if ttl_1h and read == 0 and system_cached:
            hour = min(system, write)  # the system prefix carries the 1-hour breakpoint
            return 0, write - hour, hour
        return read, write, 0

    # -- episodes ---------------------------------------------------------------------------
    def _tier(self, feature: Feature, source: str, model: Model, env: str) -> str:
        rng = self.rng
        if source == "openai":
            if feature.name == "eval-harness" and model.name in FLEX_MODELS and rng.random() < 0.7:
                return "flex"
            if env == "prod" and feature.name == "support-bot" and rng.random() < 0.15:
                return "priority"
            if env == "prod" and feature.name == "answer-synthesis" and rng.random() < 0.05:
                return "priority"
            return "default"
        if source == "anthropic":
            if feature.name == "eval-harness" and rng.random() < 0.8:
                return "batch"
            return "standard"
        return "default"

    def _api(self, source: str, model: Model, web: bool, pattern: str) -> str:
        if source == "anthropic":
            return "messages"
        if source == "litellm":
            return "chat"
        if web:
            return "responses"
        r = self.rng.random()
        if model.reasoning:
            return "responses" if r < 0.7 else "chat"
        return "responses" if r < (0.45 if pattern == "agent" else 0.2) else "chat"

    def _episode(self, feature: Feature, budget: int) -> list[Call]:
        rng = self.rng
        env = self._env(feature)
        source = self._source()
        model = MODELS[self._model_for(feature, source)]
        shape = "callback" if source == "litellm" and rng.random() < 0.1 else (
            "spend_log" if source == "litellm" else "envelope")
        if feature.pattern == "single":
            turns = 1
        elif feature.pattern == "chat":
            turns = rng.choices((1, 2, 3, 4, 5, 6), weights=(30, 25, 18, 12, 8, 7))[0]
        else:
            turns = int(rng.triangular(3, 26, 8))
        ttl_1h = rng.random() < 0.12
        tier = self._tier(feature, source, model, env)
        web_episode = rng.random() < feature.web_search_p
        api = self._api(source, model, web_episode, feature.pattern)
        user_id = self._end_user(feature, env)
        # Every episode has a session id, so a failed call and its retry share one.
        session_id = self.ids.call_id()
        trace_id = self.ids.call_id() if source == "litellm" else None
        key = self.keys[(feature.team, env)]
        # One deployment / one model string per episode, as a client would send.
        model_id_raw = self._raw_model_id(model, source)
        request_model = model.name if rng.random() < 0.6 else model_id_raw
        # Half the Responses API sessions chain on previous_response_id (and send only the
        # new items); the others resend the whole conversation statelessly.
        chained = api == "responses" and feature.pattern != "single" and rng.random() < 0.5
        t0 = self.clock.sample(*self._profiles(feature, env, tier))
        conv = P.Conversation(self.book, feature, self.text_rng, model, source,
                              self._days(t0), self.ids)
        if feature.pattern == "agent":
            conv.plan_steps(turns)

        calls: list[Call] = []
        cursor = 0
        prev_input: int | None = None
        prev_end = 0
        for turn in range(turns):
            if len(calls) >= budget:
                break
            if turn:
                think_s = (rng.uniform(1, 20) if feature.pattern == "agent"
                           else _lognormal(rng, 60, 0.9))
                cursor = prev_end + int(think_s * 1_000_000)
            size = _lognormal(rng, feature.input_median, feature.input_sigma)
            if turn == 0:
                conv.first_turn(feature.input_median if feature.name == "answer-synthesis"
                                else size)
            elif feature.pattern == "agent":
                conv.tool_result()
            else:
                conv.next_turn(max(200, size // 2))
            input_total = conv.input_tokens()
            if input_total > REGULAR_CONTEXT_CAP:  # long contexts only come from the specials
                break
            last = turn == turns - 1
            tool_step = feature.pattern == "agent" and not last
            effort = _lognormal(rng, 180 if tool_step else feature.output_median, 0.6)
            reply = conv.reply(effort, tool_step)
            reasoning = self._reasoning(model, effort)
            output = P.reply_tokens(reply) + reasoning
            msgs = conv.messages()
            gap_s = (cursor - prev_end) / 1e6 if turn else 0.0
            read, w5, w1 = self._cache(model, feature, input_total, prev_input, gap_s, ttl_1h,
                                       prefix=conv.prefix_tokens)
            web = 0
            # Only Responses bodies and Anthropic usage can show a search call.
            searchable = api == "responses" or model.vendor == "anthropic"
            if web_episode and searchable and (feature.pattern != "agent" or rng.random() < 0.3):
                web = rng.choice((1, 1, 1, 2, 2, 3))
            common = dict(
                source=source, shape=shape, api=api, feature=feature, env=env, key=key,
                user_id=user_id, session_id=session_id, trace_id=trace_id, model=model,
                model_id_raw=model_id_raw, request_model=request_model, turn=turn,
                last_turn=last, ttl_1h=ttl_1h, tier=tier, special=None,
                prev_response_id=None,  # chained in _assign_ids
                conv=conv, msgs=msgs, chained=chained,
            )
            if budget - len(calls) >= 2 and tier != "batch" and rng.random() < 0.02:
                fail_ms = rng.choice((rng.uniform(150, 600), rng.uniform(800, 30_000)))
                calls.append(Call(
                    **common, t_us=cursor, latency_us=int(fail_ms * 1000),
                    ttft_us=int(fail_ms * 1000), input_total=0, cache_read=0, cache_w5m=0,
                    cache_w1h=0, output=0, reasoning=0, web_search=0, status="failure",
                    error=rng.choice(ERRORS[model.vendor]), reply=None,
                ))
                cursor += int(fail_ms * 1000) + int(rng.uniform(1.0, 8.0) * 1_000_000)
            ttft, latency = self._latency(model, input_total, output, tier)
            call = Call(
                **common, t_us=cursor, latency_us=latency, ttft_us=ttft,
                input_total=input_total, cache_read=read, cache_w5m=w5, cache_w1h=w1,
                output=output, reasoning=reasoning, web_search=web, status="success",
                error=None, ignore_cache=rng.random() < 0.15, reply=reply,
            )
            calls.append(call)
            conv.add_reply(reply)
            prev_end = cursor + latency
            prev_input = input_total if model.vendor != "anthropic" else read + w5 + w1
            if feature.pattern == "single":
                break
        self._place(calls, t0)
        return calls

    def _days(self, t_us: int) -> float:
        """Days since the start of the period."""
        return (t_us - self.clock.start_us) / 86_400_000_000

    def _place(self, calls: list[Call], t0: int) -> None:
        """Give an episode absolute times from t0, kept inside the window."""
        span = max(c.t_us + c.latency_us for c in calls) + 1_000_000
        t0 = min(t0, self.clock.end_us - span)
        t0 = max(t0, self.clock.start_us)
        for c in calls:
            c.t_us += t0

    def _profiles(self, feature: Feature, env: str, tier: str) -> tuple[str, str]:
        if tier == "batch":
            return "prod", "batch"
        if (feature.team, feature.name) == CAMPAIGN_FEATURE and env == "prod":
            return "campaign", "prod"
        if env == "prod":
            return "prod", "prod"
        return "work", "work"

    def _special(self, kind: str, feature_key: tuple[str, str], model_name: str, source: str,
                 api: str, long_input: int | None = None) -> Call:
        """One deliberate single call; ``long_input`` = the size of a long-context upload."""
        rng = self.rng
        feature = FEATURE_BY_KEY[feature_key]
        model = MODELS[model_name]
        env = "staging" if model_name == "acme-llm-7b" else "prod"
        t0 = self.clock.sample("prod", "prod")
        conv = P.Conversation(self.book, feature, self.text_rng, model, source, self._days(t0),
                              self.ids)
        if long_input:
            conv.long_document(long_input)
        else:
            size = _lognormal(rng, feature.input_median, feature.input_sigma)
            conv.first_turn(feature.input_median if feature.name == "answer-synthesis"
                            else size)
        input_total = conv.input_tokens()
        effort = _lognormal(rng, feature.output_median, 0.6)
        reply = conv.reply(effort, False)
        reasoning = self._reasoning(model, effort)
        output = P.reply_tokens(reply) + reasoning
        ttft, latency = self._latency(model, input_total, output, "default")
        call = Call(
            source=source, shape="spend_log" if source == "litellm" else
            ("raw" if kind == "raw" else "envelope"), api=api, feature=feature, env=env,
            key=self.keys[(feature.team, env)], user_id=self._end_user(feature, env),
            session_id=self.ids.call_id(),
            trace_id=self.ids.call_id() if source == "litellm" else None, model=model,
            model_id_raw=self._raw_model_id(model, source), request_model=model.name, turn=0,
            last_turn=True, ttl_1h=False,
            tier="default" if source != "anthropic" else "standard", special=kind,
            t_us=0, latency_us=latency, ttft_us=ttft, input_total=input_total,
            cache_read=0, cache_w5m=0, cache_w1h=0, output=output, reasoning=reasoning,
            web_search=0, status="success", error=None, prev_response_id=None,
            ignore_cache=False, conv=conv, msgs=conv.messages(), reply=reply, chained=False,
        )
        conv.add_reply(reply)
        if kind == "raw":
            read, _, _ = self._cache(model, feature, input_total, None, 0, False,
                                     prefix=conv.prefix_tokens)
            call.cache_read = read
        self._place([call], t0)
        return call

    def build(self) -> list[Call]:
        rng = self.rng
        n = self.requests
        specials: list[Call] = []
        for i in range(round(n * 0.003)):
            if i % 2:
                specials.append(self._special("unpriced", ("platform", "code-review"),
                                              "acme-llm-7b", "litellm", "chat"))
            else:
                specials.append(self._special("unpriced", ("growth", "email-drafts"),
                                              "mistral-large-2411", "litellm", "chat"))
        n_long = max(2, round(n / 20_000))
        for i in range(n_long):
            source = "openai" if i % 2 == 0 else "litellm"
            specials.append(self._special("long_context", ("research", "doc-qa"), "gpt-5.4",
                                          source, "responses" if source == "openai" else "chat",
                                          rng.randint(275_000, 460_000)))
            specials.append(self._special("long_context", ("research", "doc-qa"),
                                          "gemini-2.5-pro", "litellm", "chat",
                                          rng.randint(205_000, 820_000)))
        raw_features = (("search", "query-rewrite"), ("support", "ticket-triage"),
                        ("growth", "email-drafts"), ("search", "answer-synthesis"))
        for i in range(max(3, round(n * 0.25 * 0.01))):
            fkey = raw_features[i % len(raw_features)]
            feature = FEATURE_BY_KEY[fkey]
            model_name = self._model_for(feature, "openai")
            api = "responses" if MODELS[model_name].reasoning and rng.random() < 0.6 else "chat"
            specials.append(self._special("raw", fkey, model_name, "openai", api))
        specials += incidents.retry_loop(self, n) + incidents.leaked_key(self, n)
        specials = specials[:n]

        # Features are weighted by calls; sessions are longer, so weight episodes down.
        mean_turns = {"single": 1.0, "chat": 2.5, "agent": 12.0}
        episode_weights = [f.weight / mean_turns[f.pattern] for f in FEATURES]
        cum = _cumulative(episode_weights)
        calls: list[Call] = list(specials)
        remaining = n - len(specials)
        while remaining > 0:
            feature = FEATURES[bisect.bisect_right(cum, rng.random() * cum[-1])]
            episode = self._episode(feature, remaining)
            calls.extend(episode)
            remaining -= len(episode)
        self._assign_ids(calls)
        self.calls = calls
        return calls

    def _assign_ids(self, calls: list[Call]) -> None:
        ids = self.ids
        start_day = self.clock.start_us // 86_400_000_000
        by_session: dict[str, list[Call]] = defaultdict(list)
        for c in calls:
            c.day = c.t_us // 86_400_000_000 - start_day
            c.capture = c.t_us >= self.content_from_us
            if c.source == "litellm":
                if c.status == "failure":
                    c.request_id = ids.call_id()
                elif c.model.vendor == "openai":
                    c.request_id = ids.chatcmpl()
                else:
                    c.request_id = ids.litellm()
                c.response_id = c.request_id
            elif c.source == "openai":
                c.response_id = (ids.resp() if c.api == "responses" else ids.chatcmpl())
                c.request_id = c.response_id if c.shape == "raw" else ids.openai_req()
            else:
                c.response_id = ids.msg()
                c.request_id = ids.anthropic_req()
            if c.chained:
                by_session[c.session_id].append(c)
        # Chained Responses API sessions pass the previous response's id.
        for chain in by_session.values():
            prev = None
            for c in sorted(chain, key=lambda x: x.t_us):
                c.prev_response_id = prev
                if c.status == "success":
                    prev = c.response_id


ERRORS = {
    "openai": (
        (429, "RateLimitError", {"error": {
            "message": "Rate limit reached for requests. Please try again in 2.1s.",
            "type": "requests", "param": None, "code": "rate_limit_exceeded"}}),
        (500, "InternalServerError", {"error": {
            "message": "The server had an error while processing your request. Sorry about "
                       "that!", "type": "server_error", "param": None, "code": None}}),
        (503, "ServiceUnavailableError", {"error": {
            "message": "The engine is currently overloaded, please try again later.",
            "type": "server_error", "param": None, "code": None}}),
    ),
    "anthropic": (
        (529, "InternalServerError", {"type": "error", "error": {
            "type": "overloaded_error", "message": "Overloaded"}}),
        (429, "RateLimitError", {"type": "error", "error": {
            "type": "rate_limit_error",
            "message": "This request would exceed the rate limit for your organization of "
                       "80,000 input tokens per minute."}}),
        (500, "InternalServerError", {"type": "error", "error": {
            "type": "api_error", "message": "Internal server error"}}),
    ),
    "gemini": (
        (429, "RateLimitError", {"error": {"code": 429, "message": "Resource has been exhausted "
                                           "(e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}),
        (503, "ServiceUnavailableError", {"error": {"code": 503, "message": "The model is "
                                                    "overloaded. Please try again later.",
                                                    "status": "UNAVAILABLE"}}),
    ),
}


# --------------------------------------------------------------------------------------------
# Rendering: one dict per call, in each source's wire shape
# --------------------------------------------------------------------------------------------
def _naive(us: int) -> str:
    return (EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%d %H:%M:%S.%f")


def _rfc3339(us: int) -> str:
    return (EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _litellm_spend(c: Call) -> float:
    """LiteLLM's cost, from LiteLLM's price map: close to ours, never quite equal."""
    if c.status != "success" or c.model.litellm_usd is None:
        return 0.0
    inp, read, write, out = c.model.litellm_usd
    if c.model.name == "gemini-2.5-pro" and c.input_total > 200_000:
        inp, read, out = 2.5, 0.25, 15.0
    if c.ignore_cache:  # e.g. a deployment whose map entry lacks cache prices
        read, write = inp, inp
    writes = c.cache_w5m + c.cache_w1h  # 1-hour writes billed at the 5-minute rate
    uncached = c.input_total - c.cache_read - writes
    return (uncached * inp + c.cache_read * read + writes * (write or inp)
            + c.output * out) / 1_000_000


def _cost_breakdown(c: Call, spend: float) -> dict:
    if c.status != "success" or c.model.litellm_usd is None:
        return {"input_cost": 0.0, "output_cost": 0.0, "total_cost": spend}
    out = c.output * c.model.litellm_usd[3] / 1_000_000
    return {"input_cost": spend - out, "output_cost": out, "total_cost": spend,
            "tool_usage_cost": 0.0, "additional_costs": {}}


def _litellm_usage(c: Call) -> dict | None:
    if c.status != "success":
        return None
    vendor = c.model.vendor
    usage = {
        "completion_tokens": c.output,
        "prompt_tokens": c.input_total,  # OpenAI convention: includes cache reads and writes
        "total_tokens": c.input_total + c.output,
        "completion_tokens_details": {
            "accepted_prediction_tokens": None, "audio_tokens": None,
            "reasoning_tokens": c.reasoning, "rejected_prediction_tokens": None,
            "text_tokens": None,
        },
        "prompt_tokens_details": {
            "audio_tokens": None, "cached_tokens": c.cache_read, "text_tokens": None,
            "image_tokens": None,
        },
    }
    if vendor == "anthropic":
        writes = c.cache_w5m + c.cache_w1h
        details = usage["prompt_tokens_details"]
        details["cache_creation_tokens"] = writes
        # LiteLLM keeps the TTL split here, not in a top-level `cache_creation` object.
        details["cache_creation_token_details"] = {
            "ephemeral_5m_input_tokens": c.cache_w5m, "ephemeral_1h_input_tokens": c.cache_w1h}
        usage["cache_creation_input_tokens"] = writes
        usage["cache_read_input_tokens"] = c.cache_read
        if c.web_search:
            usage["server_tool_use"] = {"web_search_requests": c.web_search}
    return usage


def _tags(c: Call) -> list[str]:
    return [f"feature:{c.feature.name}", f"env:{c.env}"]


def _error_info(c: Call) -> dict:
    status, cls, body = c.error
    provider = LITELLM_DEPLOYMENTS[c.model.vendor][0]
    message = body["error"]["message"]
    return {"error_code": str(status), "error_class": cls, "llm_provider": provider,
            "traceback": "", "error_message": f"litellm.{cls}: {provider.title()}Exception - "
                                              f"{message}"}


def _deployment(c: Call) -> tuple[str, str, str]:
    provider, base = LITELLM_DEPLOYMENTS[c.model.vendor]
    api_base = base.format(model=c.model_id_raw)
    return provider, api_base, _sha256(f"{provider}/{c.model_id_raw}@{api_base}")


def render_spend_log(c: Call) -> dict:
    provider, api_base, model_id = _deployment(c)
    spend = _litellm_spend(c)
    ok = c.status == "success"
    stored = _stores_prompts(c)
    end = c.t_us + c.latency_us
    metadata = {
        "applied_guardrails": [], "batch_models": None, "mcp_tool_call_metadata": None,
        "vector_store_request_metadata": None, "guardrail_information": None,
        "usage_object": _litellm_usage(c),
        "model_map_information": {"model_map_key": c.model_id_raw, "model_map_value": None},
        "user_api_key": c.key.token_hash, "user_api_key_alias": c.key.alias,
        "user_api_key_team_id": c.feature.team, "user_api_key_team_alias": c.feature.team,
        "user_api_key_org_id": None, "user_api_key_user_id": c.key.user_id,
        "user_api_key_user_email": None, "spend_logs_metadata": None,
        "requester_ip_address": None, "user_agent": "OpenAI/Python 1.109.1",
        "status": c.status, "error_information": None if ok else _error_info(c),
        "attempted_retries": 0, "max_retries": 0,
        "cost_breakdown": _cost_breakdown(c, spend),
        "litellm_overhead_time_ms": round(2 + (c.t_us % 997) / 100, 3),
    }
    return {
        "request_id": c.request_id,
        "session_id": c.session_id,
        "call_type": "acompletion",
        "api_key": c.key.token_hash,
        "cache_hit": "None",
        "startTime": _naive(c.t_us),
        "endTime": _naive(end),
        "completionStartTime": _naive(c.t_us + c.ttft_us if ok else end),
        "model": c.model_id_raw,
        "user": c.key.user_id,
        "team_id": c.feature.team,
        "organization_id": "",
        "metadata": json.dumps(metadata),
        "cache_key": "Cache OFF",
        "spend": spend,
        "total_tokens": c.input_total + c.output,
        "prompt_tokens": c.input_total,
        "completion_tokens": c.output,
        "request_tags": json.dumps(_tags(c)),
        "end_user": c.user_id,
        "api_base": api_base,
        "model_group": c.model.name,
        "model_id": model_id,
        "requester_ip_address": None,
        "custom_llm_provider": provider,
        "messages": json.dumps(_litellm_messages(c)) if stored else "{}",
        "response": json.dumps(_litellm_response(c)) if stored and ok else "{}",
        "proxy_server_request": json.dumps(_proxy_request(c)) if stored else "{}",
        "status": c.status,
        "mcp_namespaced_tool_name": None,
        "agent_id": None,
    }


def render_callback(c: Call) -> dict:
    provider, api_base, model_id = _deployment(c)
    spend = _litellm_spend(c)
    ok = c.status == "success"
    text = _has_text(c)
    end = c.t_us + c.latency_us
    error = None if ok else _error_info(c)
    return {
        "id": c.request_id,
        "trace_id": c.trace_id,
        "session_id": c.session_id,
        "call_type": "acompletion",
        "cache_hit": None,
        "stream": bool(_params(c).get("stream")),
        "status": c.status,
        "custom_llm_provider": provider,
        "saved_cache_cost": 0.0,
        "startTime": c.t_us / 1e6,
        "endTime": end / 1e6,
        "completionStartTime": (c.t_us + c.ttft_us if ok else end) / 1e6,
        "response_time": c.latency_us / 1e6,
        "model": c.model_id_raw,
        "metadata": {
            "user_api_key_hash": c.key.token_hash, "user_api_key_alias": c.key.alias,
            "user_api_key_team_id": c.feature.team, "user_api_key_org_id": None,
            "user_api_key_user_id": c.key.user_id, "user_api_key_team_alias": c.feature.team,
            "user_api_key_user_email": None, "spend_logs_metadata": None,
            "requester_ip_address": None, "requester_metadata": None,
            "user_api_key_end_user_id": c.user_id, "applied_guardrails": [],
            "usage_object": _litellm_usage(c),
        },
        "cache_key": None,
        "response_cost": spend,
        "cost_breakdown": _cost_breakdown(c, spend),
        "total_tokens": c.input_total + c.output,
        "prompt_tokens": c.input_total,
        "completion_tokens": c.output,
        "request_tags": _tags(c),
        "end_user": c.user_id,
        "api_base": api_base,
        "model_group": c.model.name,
        "model_id": model_id,
        "requester_ip_address": None,
        "messages": _litellm_messages(c) if text else [],
        "response": _litellm_response(c) if text and ok else {},
        "model_parameters": _litellm_parameters(c),
        "hidden_params": {
            "model_id": model_id, "cache_key": None, "api_base": api_base,
            "response_cost": spend, "additional_headers": {},
            "litellm_overhead_time_ms": None, "batch_models": None,
            "litellm_model_name": c.model_id_raw,
        },
        "model_map_information": {"model_map_key": c.model_id_raw, "model_map_value": None},
        "error_str": None if ok else error["error_message"],
        "error_information": error or {"error_code": "", "error_class": "", "llm_provider": "",
                                       "traceback": "", "error_message": ""},
        "response_cost_failure_debug_info": None,
        "guardrail_information": None,
        "standard_built_in_tools_params": {"web_search_options": None, "file_search": None},
    }


# --------------------------------------------------------------------------------------------
# Prompt content in the records
# --------------------------------------------------------------------------------------------
def _has_text(c: Call) -> bool:
    """Does this record carry its prompt and reply text (content logging on that day)?"""
    return bool(c.capture) and c.conv is not None


def _stores_prompts(c: Call) -> bool:
    """LiteLLM SpendLogs keep messages/response only where store_prompts_in_spend_logs is on."""
    return _has_text(c) and c.feature.team not in NO_PROMPT_TEAMS


def _reply_text(c: Call) -> str | None:
    return P.text_of(c.reply["content"]) if c.reply else None


def _reply_tool_calls(c: Call) -> list[dict] | None:
    return c.reply.get("tool_calls") if c.reply else None


def _params(c: Call) -> dict:
    return c.conv.params if c.conv is not None else {}


def _chat_params(c: Call) -> dict:
    """Chat Completions sampling parameters (also what LiteLLM receives)."""
    p = _params(c)
    out: dict = {}
    if not c.model.reasoning:  # reasoning models only accept the default temperature
        for name in ("temperature", "top_p"):
            if name in p:
                out[name] = p[name]
    if "max_tokens" in p:
        out["max_completion_tokens" if c.model.reasoning else "max_tokens"] = p["max_tokens"]
    if "seed" in p:
        out["seed"] = p["seed"]
    if p.get("json"):
        out["response_format"] = {"type": "json_object"}
    if p.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def _responses_params(c: Call) -> dict:
    p = _params(c)
    out: dict = {}
    if not c.model.reasoning:
        for name in ("temperature", "top_p"):
            if name in p:
                out[name] = p[name]
    if "max_tokens" in p:
        out["max_output_tokens"] = p["max_tokens"]
    if p.get("json"):
        out["text"] = {"format": {"type": "json_object"}}
    if p.get("stream"):
        out["stream"] = True
    return out


def _anthropic_params(c: Call) -> dict:
    p = _params(c)
    out: dict = {"max_tokens": p.get("max_tokens", 4096)}
    if "temperature" in p:  # Claude 4.x rejects temperature and top_p together
        out["temperature"] = p["temperature"]
    if p.get("stream"):
        out["stream"] = True
    return out


def _litellm_messages(c: Call) -> list[dict]:
    return [{"role": "system", "content": c.conv.system}, *P.to_openai_chat(c.msgs)]


def _litellm_parameters(c: Call) -> dict:
    """StandardLoggingPayload.model_parameters: the optional params LiteLLM passed on."""
    out = {k: v for k, v in _chat_params(c).items() if k != "stream_options"}
    if _has_text(c) and c.conv.tools:
        out["tools"] = c.conv.tools
        out["tool_choice"] = "auto"
    return out


def _proxy_request(c: Call) -> dict:
    """SpendLogs proxy_server_request: the client's request body; its messages are left out
    here because the messages column already holds them (the demo stores each prompt once)."""
    body = {"model": c.request_model, **_chat_params(c)}
    if c.conv.tools:
        body["tools"] = c.conv.tools
    return body


def _litellm_response(c: Call) -> dict:
    """The chat-completion ModelResponse LiteLLM logs (OpenAI shape for every provider)."""
    tool_calls = _reply_tool_calls(c)
    return {
        "id": c.request_id, "created": c.t_us // 1_000_000, "model": c.model_id_raw,
        "object": "chat.completion", "system_fingerprint": None,
        "choices": [{"finish_reason": "tool_calls" if tool_calls else "stop", "index": 0,
                     "message": {"content": _reply_text(c), "role": "assistant",
                                 "tool_calls": tool_calls, "function_call": None}}],
        "usage": _litellm_usage(c),
    }


def _new_items(c: Call) -> list[dict]:
    """A chained Responses call sends only what follows the previous response."""
    msgs = c.msgs
    if not c.prev_response_id:
        return msgs
    last = max((i for i, m in enumerate(msgs) if m["role"] == "assistant"), default=-1)
    return msgs[last + 1:]


def _envelope(c: Call, request: dict, body_key: str, body: dict) -> dict:
    return {
        "request_id": c.request_id,
        "started_at": _rfc3339(c.t_us),
        "ended_at": _rfc3339(c.t_us + c.latency_us),
        "status": c.status,
        "metadata": {
            "team": c.feature.team, "feature": c.feature.name, "environment": c.env,
            "session_id": c.session_id, "user_id": c.user_id,
        },
        "request": request,
        body_key: body,
    }


def _openai_request(c: Call) -> dict:
    text = _has_text(c)
    conv = c.conv
    if c.api == "responses":
        request: dict = {"model": c.request_model}
        if text:
            items = _new_items(c)
            request["instructions"] = conv.system
            if (len(items) == 1 and items[0]["role"] == "user"
                    and _stable_hash(c.session_id) % 2):
                request["input"] = P.text_of(items[0]["content"])  # a bare string is allowed
            else:
                request["input"] = P.to_responses_input(items)
        tools = (P.tools_for("responses", conv.tools) or []) if text else []
        if c.web_search:
            tools = [*tools, {"type": "web_search"}]
        if tools:
            request["tools"] = tools
        if c.prev_response_id:
            request["previous_response_id"] = c.prev_response_id
        request.update(_responses_params(c))
        if c.model.reasoning:
            request["reasoning"] = {"effort": "medium" if c.model.name != "gpt-5.4" else "low"}
    else:
        request = {"model": c.request_model}
        if text:
            request["messages"] = [{"role": "system", "content": conv.system},
                                   *P.to_openai_chat(c.msgs)]
            if conv.tools:
                request["tools"] = conv.tools
        request.update(_chat_params(c))
    if c.tier != "default":
        request["service_tier"] = c.tier
    return request


def _stable_hash(value) -> int:
    return int(hashlib.md5(str(value).encode()).hexdigest()[:8], 16)


def render_openai(c: Call, rng: random.Random) -> dict:
    request = _openai_request(c)
    if c.status != "success":
        return _envelope(c, request, "error", c.error[2])
    text = _has_text(c)
    tier = c.tier
    created = c.t_us // 1_000_000
    model_id = c.model_id_raw
    reply_text = _reply_text(c)
    tool_calls = _reply_tool_calls(c)
    if c.api == "responses":
        output = []
        if c.reasoning:
            output.append({"id": "rs_" + f"{rng.getrandbits(200):050x}", "type": "reasoning",
                           "summary": []})
        for q in range(c.web_search):
            action = {"type": "search"}
            if text:
                action["query"] = f"{(c.conv.question or c.feature.name)[:80]} {q + 1}"
            output.append({"id": "ws_" + f"{rng.getrandbits(200):050x}",
                           "type": "web_search_call", "status": "completed", "action": action})
        if reply_text and (text or not tool_calls):
            output.append({
                "id": "msg_" + f"{rng.getrandbits(200):050x}", "type": "message",
                "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "annotations": [], "logprobs": [],
                             "text": reply_text}] if text else []})
        for call in tool_calls or ():
            item = {"id": "fc_" + f"{rng.getrandbits(200):050x}", "type": "function_call",
                    "status": "completed", "call_id": call["id"],
                    "name": call["function"]["name"]}
            if text:
                item["arguments"] = call["function"]["arguments"]
            output.append(item)
        params = _responses_params(c)
        body = {
            "id": c.response_id, "object": "response", "created_at": created,
            "status": "completed", "background": False, "billing": {"payer": "developer"},
            "completed_at": (c.t_us + c.latency_us) // 1_000_000, "error": None,
            "incomplete_details": None, "instructions": c.conv.system if text else None,
            "max_output_tokens": params.get("max_output_tokens"),
            "max_tool_calls": None, "model": model_id, "output": output,
            "parallel_tool_calls": True, "previous_response_id": c.prev_response_id,
            "prompt_cache_key": None, "prompt_cache_retention": "in_memory",
            "reasoning": {"effort": request.get("reasoning", {}).get("effort"), "summary": None},
            "safety_identifier": None, "service_tier": tier, "store": True,
            "temperature": params.get("temperature", 1.0),
            "text": {"format": params.get("text", {}).get("format", {"type": "text"}),
                     "verbosity": "medium"},
            "tool_choice": "auto", "tools": request.get("tools", []), "top_logprobs": 0,
            "top_p": params.get("top_p", 1.0), "truncation": "disabled",
            "usage": {
                "input_tokens": c.input_total,
                "input_tokens_details": {"cached_tokens": c.cache_read},
                "output_tokens": c.output,
                "output_tokens_details": {"reasoning_tokens": c.reasoning},
                "total_tokens": c.input_total + c.output,
            },
            "user": None, "metadata": {},
        }
    else:
        message: dict = {"role": "assistant"}
        if text:
            message["content"] = reply_text
        message.update(refusal=None, annotations=[])
        if tool_calls and text:
            message["tool_calls"] = tool_calls
        body = {
            "id": c.response_id, "object": "chat.completion", "created": created,
            "model": model_id,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if tool_calls else "stop"}],
            "usage": {
                "prompt_tokens": c.input_total,
                "completion_tokens": c.output,
                "total_tokens": c.input_total + c.output,
                "prompt_tokens_details": {"cached_tokens": c.cache_read, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": c.reasoning, "audio_tokens": 0,
                    "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
            },
            "service_tier": tier,
            "system_fingerprint": None if c.model.reasoning else f"fp_{_sha256(model_id)[:10]}",
        }
    if c.shape == "raw":
        return body
    return _envelope(c, request, "response", body)


def render_anthropic(c: Call, rng: random.Random | None = None) -> dict:
    text = _has_text(c)
    request: dict = {"model": c.request_model}
    request.update(_anthropic_params(c))
    if text:
        system_block = {"type": "text", "text": c.conv.system,
                        "cache_control": {"type": "ephemeral"}}
        if c.ttl_1h:
            system_block["cache_control"]["ttl"] = "1h"
        request["system"] = [system_block]
        # Sessions move a second breakpoint to the newest message so each turn reads the last.
        request["messages"] = P.to_anthropic(c.msgs, cache_last=c.feature.pattern != "single")
    tools = (P.tools_for("anthropic", c.conv.tools) or []) if text else []
    if c.web_search:
        tools = [*tools, {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}]
    if tools:
        request["tools"] = tools
    if c.status != "success":
        return _envelope(c, request, "error", c.error[2])
    tool_calls = _reply_tool_calls(c)
    content: list[dict] = []
    if text:
        reply_text = _reply_text(c)
        if reply_text:
            content.append({"type": "text", "text": reply_text})
        for call in tool_calls or ():
            content.append({"type": "tool_use", "id": call["id"],
                            "name": call["function"]["name"],
                            "input": json.loads(call["function"]["arguments"])})
    writes = c.cache_w5m + c.cache_w1h
    usage = {
        # Anthropic input_tokens EXCLUDES cache reads and cache writes.
        "input_tokens": c.input_total - c.cache_read - writes,
        "cache_creation_input_tokens": writes,
        "cache_read_input_tokens": c.cache_read,
        "cache_creation": {"ephemeral_5m_input_tokens": c.cache_w5m,
                           "ephemeral_1h_input_tokens": c.cache_w1h},
        "output_tokens": c.output,
        "service_tier": c.tier,
        "inference_geo": "not_available",
    }
    if c.web_search:
        usage["server_tool_use"] = {"web_search_requests": c.web_search, "web_fetch_requests": 0}
    body = {"id": c.response_id, "type": "message", "role": "assistant", "model": c.model_id_raw,
            "content": content, "stop_reason": "tool_use" if tool_calls else "end_turn",
            "stop_sequence": None, "usage": usage}
    return _envelope(c, request, "response", body)


# --------------------------------------------------------------------------------------------
# Deliberately bad records
# --------------------------------------------------------------------------------------------
def _usage_of(record: dict) -> dict:
    return record.get("response", record)["usage"]


def _break(kind: str, c: Call, record: dict) -> None:
    """Mutate a rendered record in place into one broken the way ``kind`` says."""
    if c.source == "litellm":
        if kind == "missing_request_id":
            record.pop("request_id" if c.shape == "spend_log" else "id")
        elif kind == "missing_model":
            record.pop("model")
            record["model_group"] = ""
        elif kind == "negative_tokens":
            record["completion_tokens"] = -record["completion_tokens"]
            record["total_tokens"] = record["prompt_tokens"] + record["completion_tokens"]
            meta = json.loads(record["metadata"])
            meta["usage_object"]["completion_tokens"] = record["completion_tokens"]
            record["metadata"] = json.dumps(meta)
        elif kind == "non_numeric_tokens":
            record["prompt_tokens"] = f"{record['prompt_tokens']}a"
            meta = json.loads(record["metadata"])
            meta["usage_object"]["prompt_tokens"] = record["prompt_tokens"]
            record["metadata"] = json.dumps(meta)
        return
    if kind == "missing_request_id":
        record.pop("request_id")
        record["response"].pop("id")
    elif kind == "missing_model":
        record["request"].pop("model")
        record["response"].pop("model")
    elif kind == "negative_tokens":
        usage = _usage_of(record)
        field = "completion_tokens" if "completion_tokens" in usage else "output_tokens"
        usage[field] = -usage[field]
    elif kind == "non_numeric_tokens":
        usage = _usage_of(record)
        field = next(f for f in ("prompt_tokens", "input_tokens") if f in usage)
        usage[field] = f"{usage[field]}a"
    elif kind == "naive_timestamp":
        record["started_at"] = record["started_at"].rstrip("Z")
        record["ended_at"] = record["ended_at"].rstrip("Z")


def _choose_victims(calls: list[Call], days: int, rng: random.Random) -> dict[int, str]:
    """Map call index -> bad kind. Victims are plain successful calls (no failure, retry,
    unpriced, long-context or bare-body trait), so trait counts stay exact."""
    eligible: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, c in enumerate(calls):
        if c.status == "success" and c.special is None and c.output > 0:
            eligible[(c.source, c.shape)].append(i)
    victims: dict[int, str] = {}
    for source in SOURCES:
        for kind, shape, count in BAD_PLAN[source]:
            pool = [i for i in eligible[(source, shape)] if i not in victims
                    and (kind != "duplicate_cross_file" or calls[i].day < days - 1)]
            for i in rng.sample(pool, min(count, len(pool))):
                victims[i] = kind
    return victims


def _truncate(line: str, rng: random.Random) -> str:
    """A cut-off write: a proper prefix of a JSON object is never valid JSON."""
    cut = rng.randint(len(line) // 4, len(line) * 3 // 4)
    return line[:cut]


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------
FILE_PATTERNS = {
    ("litellm", "spend_log"): "litellm/spend_logs_{day}.jsonl",
    ("litellm", "callback"): "litellm/callbacks_{day}.jsonl",
    ("openai", "envelope"): "openai/openai_{day}.jsonl",
    ("openai", "raw"): "openai/openai_{day}.jsonl",
    ("anthropic", "envelope"): "anthropic/anthropic_{day}.jsonl",
}


def _dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def generate_demo(landing_dir: Path, *, requests: int = 120_000, days: int = 21,
                  end_date: date | None = None, seed: int = 7) -> dict:
    """Write a deterministic demo workload under ``landing_dir``; return what was written.

    ``requests`` is the number of distinct API calls (each with its own request id); the
    deliberate duplicates add lines on top. Occurrence times fall in the ``days`` days ending
    at ``end_date`` (inclusive, UTC; default yesterday).
    """
    if requests < 1 or days < 1:
        raise ValueError("requests and days must be positive")
    landing_dir = Path(landing_dir)
    if end_date is None:
        end_date = datetime.now(UTC).date() - timedelta(days=1)
    start = end_date - timedelta(days=days - 1)

    workload = Workload(requests, days, start, seed)
    calls = workload.build()
    bad_rng = random.Random(f"{seed}:bad")
    victims = _choose_victims(calls, days, bad_rng)

    by_file: dict[str, list[int]] = defaultdict(list)
    day_names = [(start + timedelta(days=d)).isoformat() for d in range(days)]
    for i, c in enumerate(calls):
        by_file[FILE_PATTERNS[(c.source, c.shape)].format(day=day_names[c.day])].append(i)
    all_files = sorted({p.format(day=d) for p in FILE_PATTERNS.values() for d in day_names})

    bad = {s: Counter() for s in SOURCES}
    lines_per_source: Counter = Counter()
    pending_cross: dict[str, list[str]] = defaultdict(list)
    # Chronological per file kind, so cross-file duplicates can land in the next day's file.
    order = sorted(all_files, key=lambda p: (p.rsplit("_", 1)[0], p))
    for rel in order:
        source = rel.split("/", 1)[0]
        file_rng = random.Random(f"{seed}:{rel}")
        idx = sorted(by_file.get(rel, ()), key=lambda i: (calls[i].t_us, calls[i].request_id))
        lines: list[str] = []
        same_file_copies: list[tuple[int, str]] = []
        for i in idx:
            c = calls[i]
            if c.shape == "spend_log":
                record = render_spend_log(c)
            elif c.shape == "callback":
                record = render_callback(c)
            elif c.source == "openai":
                record = render_openai(c, file_rng)
            else:
                record = render_anthropic(c, file_rng)
            kind = victims.get(i)
            if kind and kind not in DUPLICATE_KINDS and kind != "malformed_json":
                _break(kind, c, record)
            line = _dumps(record)
            if kind == "malformed_json":
                line = _truncate(line, file_rng)
            elif kind == "duplicate_same_file":
                same_file_copies.append((len(lines) + file_rng.randint(1, 300), line))
            elif kind == "duplicate_cross_file":
                nxt = FILE_PATTERNS[(c.source, c.shape)].format(day=day_names[c.day + 1])
                pending_cross[nxt].append(line)
            if kind:
                bad[source][kind] += 1
            lines.append(line)
        for pos, line in sorted(same_file_copies, reverse=True):
            lines.insert(min(pos, len(lines)), line)
        for line in pending_cross.pop(rel, ()):
            # A re-exported batch overlapping the previous day: early in the next file.
            lines.insert(min(len(lines), 1 + file_rng.randint(0, 40)), line)
        # A truncated first line would make readers sniff the file as one JSON document.
        if lines and not _is_json(lines[0]):
            for j in range(1, len(lines)):
                if _is_json(lines[j]):
                    lines[0], lines[j] = lines[j], lines[0]
                    break
        path = landing_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as handle:
            handle.write("".join(line + "\n" for line in lines))
        lines_per_source[source] += len(lines)

    per_source_calls = Counter(c.source for c in calls)
    bad_totals = Counter()
    for counts in bad.values():
        bad_totals.update(counts)
    valid = {s: per_source_calls[s] for s in SOURCES}
    for i in victims:
        c = calls[i]
        if victims[i] not in DUPLICATE_KINDS:
            valid[c.source] -= 1
    return {
        "landing_dir": str(landing_dir),
        "seed": seed,
        "requests": requests,
        "days": days,
        "start_date": start.isoformat(),
        "end_date": end_date.isoformat(),
        "files": all_files,
        "files_written": len(all_files),
        "records_per_source": {s: lines_per_source[s] for s in SOURCES},
        "records_by_shape": _shape_counts(calls, victims),
        "requests_by_source": {s: per_source_calls[s] for s in SOURCES},
        "bad_records": {k: bad_totals[k] for k in BAD_KINDS},
        "bad_records_by_source": {s: {k: bad[s][k] for k in BAD_KINDS if bad[s][k]}
                                  for s in SOURCES},
        "expected_valid_records": valid,
        "traits": _traits(calls, victims),
    }


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _shape_counts(calls: list[Call], victims: dict[int, str]) -> dict[str, int]:
    """Physical lines per file shape (duplicates included)."""
    counts = Counter(f"{c.source}/{c.shape}" for c in calls)
    for i, kind in victims.items():
        if kind in DUPLICATE_KINDS:
            counts[f"{calls[i].source}/{calls[i].shape}"] += 1
    return dict(sorted(counts.items()))


def _traits(calls: list[Call], victims: dict[int, str]) -> dict[str, dict[str, int]]:
    """Counts per source over the records a correct pipeline keeps (victims are never
    special, so these are exact)."""
    out: dict[str, Counter] = {s: Counter() for s in SOURCES}
    for i, c in enumerate(calls):
        if i in victims and victims[i] not in DUPLICATE_KINDS:
            continue
        t = out[c.source]
        t["failed"] += c.status == "failure"
        t["unpriced"] += c.special == "unpriced"
        t["long_context"] += c.special == "long_context"
        t["bare_body"] += c.shape == "raw"
        t["cache_read"] += c.cache_read > 0
        t["cache_write"] += (c.cache_w5m + c.cache_w1h) > 0
        t["cache_write_1h"] += c.cache_w1h > 0
        t["reasoning"] += c.reasoning > 0
        t["web_search"] += c.web_search > 0
        if c.source != "litellm":
            t[f"tier_{c.tier}"] += 1
        if c.session_id and c.feature.pattern != "single":
            t["session_calls"] += 1
    return {s: dict(sorted((k, v) for k, v in out[s].items() if v)) for s in SOURCES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.demo.generate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("landing_dir", type=Path)
    parser.add_argument("--requests", type=int, default=120_000)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--end-date", type=date.fromisoformat, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = generate_demo(args.landing_dir, requests=args.requests, days=args.days,
                            end_date=args.end_date, seed=args.seed)
    elapsed = time.perf_counter() - started
    brief = {k: v for k, v in summary.items() if k != "files"}
    print(json.dumps(brief, indent=2))
    lines = sum(summary["records_per_source"].values())
    print(f"wrote {summary['files_written']} files, {lines} lines in {elapsed:.1f}s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
