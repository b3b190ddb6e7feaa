"""The demo workload's text material, loaded from data files in ``material/``.

Acme runs a SaaS collaboration product (Acme Cloud: workspaces, projects, an API) and an online
store for its hardware (Acme Hub devices). Everything is fictional. ``prompts.py`` builds
prompts and replies from these pieces; nothing here draws random numbers.

- ``material/intents.toml``: support intents (paraphrases, answers, rewrite queries) and slots;
- ``material/prompts.toml``: system-prompt parts, few-shot blocks, tasks, documents and the
  small vocabularies, each under the lower-case name of the constant exposed here;
- ``material/tools.json``: agent tool schemas (OpenAI function shape);
- ``material/repo/``: source files of the fictional monorepo (read_file results, review diffs).

TOML arrays become tuples, so the material is immutable like the literals it replaced.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

MATERIAL = Path(__file__).parent / "material"


@dataclass(frozen=True)
class Intent:
    key: str
    title: str
    category: str  # ticket-triage category
    priority: str  # p1..p4
    paraphrases: tuple[str, ...]  # same meaning, different wording; may hold {slot} fields
    answer: str  # the support answer (the help-center article body)
    queries: tuple[str, ...]  # what query-rewrite should return


def _frozen(value):
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    return value


def _toml(name: str) -> dict:
    with open(MATERIAL / name, "rb") as handle:
        return _frozen(tomllib.load(handle))


_intents = _toml("intents.toml")
SLOTS: dict[str, tuple[str, ...]] = _intents["slots"]
INTENTS: tuple[Intent, ...] = tuple(Intent(**intent) for intent in _intents["intents"])

_text = _toml("prompts.toml")
# Every table of prompts.toml under its upper-case name (C.AGENT_TASKS, C.GLOSSARY, ...);
# the error-code parts are combined below and the code file list is read from repo/.
globals().update({name.upper(): value for name, value in _text.items()
                  if name not in ("error_areas", "error_kinds", "code_files")})

# What each feature's system prompt holds after its header: its own rules, then shared policy
# paragraphs.
_shared = _text["shared_paragraphs"]
FEATURE_RULES: dict[str, tuple[str, ...]] = {
    "answer-synthesis": _shared,
    "query-rewrite": _shared[4:6],
    "support-bot": _shared,
    "ticket-triage": _text["triage_rules"] + _shared[2:4],
    "summarizer": _text["summary_rules"] + _shared[2:5],
    "email-drafts": _text["brand_voice"] + _shared[8:10],
    "lead-enrichment": _text["enrichment_rules"] + _shared[4:5],
    "code-review": _text["code_style_rules"],
    "agent": _text["agent_rules"],
    "research-agent": _text["research_rules"],
    "doc-qa": _text["docqa_rules"] + _shared[4:5] + _shared[10:11],
    "eval-harness": _text["eval_rules"],
}

ERROR_CODES = tuple(
    f"- `{prefix}-{i + 1:03d}` {kind}: {text.format(area=area)}."
    for prefix, area in _text["error_areas"] for i, (kind, text) in enumerate(_text["error_kinds"]))

_tools = json.loads((MATERIAL / "tools.json").read_text())
PLATFORM_TOOLS: tuple[dict, ...] = tuple(_tools["platform"])
RESEARCH_TOOLS: tuple[dict, ...] = tuple(_tools["research"])

# In the order prompts.py indexes them.
CODE_FILES: dict[str, str] = {
    path: (MATERIAL / "repo" / path).read_text() for path in _text["code_files"]}
