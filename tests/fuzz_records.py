"""Valid seed records for every source, and the mutations the fuzz tests apply to them.

Every seed is built from the real recorded samples in ``tests/fixtures`` or from the
constructed records of the adapter tests (imported from them, so a seed is exactly what an
adapter test proves loads). ``make(tag)`` returns a fresh record whose dedupe key contains
``tag``, so two seeds in one file never collide; ``items`` is how many canonical rows the seed
yields (several for an OTLP document or a usage page).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conftest import envelope, fixture_json, recorded_bodies
from test_adapters_anthropic import write_body_with_cache_creation
from test_adapters_bedrock import (
    HAIKU_45_PROFILE,
    SONNET_45_PROFILE,
    anthropic_counts,
    as_stream,
    converse_body,
    invocation_log,
)
from test_adapters_exports import (
    DAY,
    NOV_1,
    anthropic_page,
    claude_cost,
    claude_usage,
    completions,
    cost,
    day_iso,
    openai_page,
)
from test_adapters_gemini import CACHED_FILE, INT_ENUM_FILE, THINKING_FILE
from test_adapters_helicone import (
    CSV_FAILED,
    CSV_HEADER,
    CSV_NAIVE,
    CSV_OPENAI,
    JSONL_ANTHROPIC_UNCACHED,
    JSONL_OPENAI,
    csv_cell,
)
from test_adapters_litellm import litellm_anthropic_usage, spend_log_row
from test_adapters_openrouter import generation
from test_adapters_otel import agent_trace_document, document, misc_document, new_vintage_span
from test_adapters_portkey import ANTHROPIC as PORTKEY_ANTHROPIC
from test_adapters_portkey import FLATTENED as PORTKEY_FLATTENED
from test_adapters_portkey import NESTED as PORTKEY_NESTED

TABLE = {
    "openai_usage": "usage_buckets", "openai_costs": "usage_buckets",
    "anthropic_usage": "usage_buckets", "anthropic_costs": "usage_buckets",
}
MULTI_ITEM = {"otel", "openai_usage", "openai_costs", "anthropic_usage", "anthropic_costs"}
TOKEN_COLUMNS = {
    "requests": ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
                 "cache_creation_1h_input_tokens", "output_tokens", "reasoning_output_tokens",
                 "web_search_calls"),
    "usage_buckets": ("requests", "input_tokens", "cache_read_input_tokens",
                      "cache_creation_input_tokens", "cache_creation_1h_input_tokens",
                      "output_tokens", "web_search_calls"),
}
KEY = {"requests": "request_id", "usage_buckets": "bucket_version_id"}


def table_of(source: str) -> str:
    return TABLE.get(source, "requests")


@dataclass(frozen=True)
class Seed:
    name: str
    make: Callable[[str], dict]
    items: int = 1


def _deep(value: Any) -> Any:
    return copy.deepcopy(value)


# -- requests sources ---------------------------------------------------------------------

def _openai_seeds() -> list[Seed]:
    chat = recorded_bodies("openai/chat_completions_gpt-4o-mini.response.json")[0]
    (web,) = recorded_bodies("openai/responses_api_web_search_cached_reasoning.responses.json")
    return [
        Seed("chat", lambda t: envelope(_deep(chat), request_id=f"oa-{t}",
                                        started_at="2025-09-12T23:21:23.250Z",
                                        ended_at="2025-09-12T23:21:58.750Z",
                                        metadata={"team": "fuzz"})),
        Seed("responses", lambda t: envelope(_deep(web), request_id=f"oa-{t}",
                                             started_at="2025-09-13T08:00:00+01:00",
                                             request={"model": "gpt-5"})),
        Seed("failed", lambda t: envelope(None, request_id=f"oa-{t}",
                                          started_at="2025-09-13T09:00:00Z", status="failure",
                                          request={"model": "gpt-5"},
                                          error={"error": {"code": "rate_limit_exceeded"}})),
    ]


def _anthropic_seeds() -> list[Seed]:
    read_body, write_body = recorded_bodies(
        "anthropic/messages_cache_write_read_real_api.responses.json")
    return [
        Seed("read", lambda t: envelope(_deep(read_body), request_id=f"an-{t}",
                                        started_at="2025-11-20T10:00:00Z",
                                        ended_at="2025-11-20T10:00:09.125Z")),
        Seed("write", lambda t: envelope(_deep(write_body), request_id=f"an-{t}",
                                         started_at="2025-11-20T10:01:00-05:00")),
        Seed("mixed-ttl", lambda t: envelope(write_body_with_cache_creation(118, 300),
                                             request_id=f"an-{t}",
                                             started_at="2025-11-20T12:01:00Z")),
    ]


def _litellm_seeds() -> list[Seed]:
    standard = fixture_json("litellm/standard_logging_payload.json")

    def standard_payload(tag: str) -> dict:
        record = _deep(standard)
        record["id"] = f"ll-{tag}"
        return record

    return [
        Seed("spend-log", lambda t: spend_log_row(
            f"ll-{t}", usage_object={
                "prompt_tokens": 1000, "completion_tokens": 300, "total_tokens": 1300,
                "prompt_tokens_details": {"cached_tokens": 600},
                "completion_tokens_details": {"reasoning_tokens": 120}},
            request_tags='["feature:search","env:prod"]')),
        Seed("spend-log-anthropic", lambda t: spend_log_row(
            f"ll-{t}", usage_object=litellm_anthropic_usage(ephemeral_5m=418, ephemeral_1h=0),
            model="claude-sonnet-4-5-20250929", custom_llm_provider="anthropic",
            startTime="2025-11-20 10:00:00.000000", endTime="2025-11-20 10:00:02.500000")),
        Seed("standard-logging-payload", standard_payload),
    ]


def _gemini_seeds() -> list[Seed]:
    def vertex(tag: str) -> dict:
        body = recorded_bodies(THINKING_FILE)[0]
        body["responseId"] = f"gm-{tag}"
        return body

    return [
        Seed("vertex-bare", vertex),
        Seed("int-enum", lambda t: envelope(recorded_bodies(INT_ENUM_FILE)[0],
                                            request_id=f"gm-{t}",
                                            started_at="2025-11-20T11:00:00Z")),
        Seed("cached", lambda t: envelope(recorded_bodies(CACHED_FILE)[0], request_id=f"gm-{t}",
                                          started_at="2025-11-20T10:01:00Z",
                                          metadata={"team": "media"})),
    ]


def _bedrock_seeds() -> list[Seed]:
    read_body, write_body = recorded_bodies(
        "bedrock/messages_on_bedrock_invoke_cache_real_api.responses.json")
    return [
        Seed("converse", lambda t: envelope(converse_body(), request_id=f"br-{t}",
                                            started_at="2025-11-20T10:00:00Z",
                                            request={"modelId": SONNET_45_PROFILE})),
        Seed("invocation-log", lambda t: invocation_log(
            f"br-{t}", HAIKU_45_PROFILE, _deep(write_body),
            counts=anthropic_counts(write_body))),
        Seed("stream-log", lambda t: invocation_log(
            f"br-{t}", HAIKU_45_PROFILE, as_stream(_deep(read_body)),
            operation="InvokeModelWithResponseStream", counts=anthropic_counts(read_body))),
    ]


def _openrouter_seeds() -> list[Seed]:
    (cached,) = recorded_bodies(
        "openrouter/chat_completions_usage_cached_reasoning.responses.json")

    def chat(tag: str) -> dict:
        body = _deep(cached)
        body["id"] = f"gen-{tag}"
        return body

    return [
        Seed("chat-body", chat),
        Seed("generation-wrapped", lambda t: {"data": generation(
            f"gen-{t}", native_tokens_cached=1024, native_tokens_reasoning=12)}),
        Seed("generation-bare", lambda t: generation(
            f"gen-{t}", created_at="2024-07-16T01:00:00.5+02:00")),
    ]


def _helicone_seeds() -> list[Seed]:
    return [
        Seed("openai", lambda t: {**_deep(JSONL_OPENAI), "response_id": f"hc-{t}"}),
        Seed("anthropic", lambda t: {**_deep(JSONL_ANTHROPIC_UNCACHED), "response_id": f"hc-{t}"}),
    ]


def _portkey_seeds() -> list[Seed]:
    return [
        Seed("nested", lambda t: {**_deep(PORTKEY_NESTED), "id": f"pk-{t}"}),
        Seed("flattened", lambda t: {**_deep(PORTKEY_FLATTENED), "id": f"pk-{t}"}),
        Seed("anthropic", lambda t: {**_deep(PORTKEY_ANTHROPIC), "id": f"pk-{t}"}),
    ]


# -- multi-item sources -------------------------------------------------------------------

def _retrace(doc: dict, tag: str) -> dict:
    """Every span of the document under a trace id made from ``tag`` (32 hex digits)."""
    trace = (tag.encode().hex() + "0" * 32)[:32]
    for resource in doc["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for item in scope["spans"]:
                item["traceId"] = trace
    return doc


def _otel_seeds() -> list[Seed]:
    return [
        Seed("new-vintage", lambda t: _retrace(document([new_vintage_span()]), t), 1),
        Seed("agent", lambda t: _retrace(agent_trace_document(), t), 2),
        Seed("misc", lambda t: _retrace(misc_document(), t), 3),
    ]


def _openai_usage_seeds() -> list[Seed]:
    def page(tag: str) -> dict:
        return openai_page([
            (NOV_1, NOV_1 + DAY, [
                completions("gpt-4o-2024-08-06", 1_000, 200, 0, 100, 3, project_id=f"p-{tag}"),
                completions("gpt-4o-mini-2024-07-18", 50, None, None, 5, 1,
                            project_id=f"p-{tag}")]),
            (NOV_1 + DAY, NOV_1 + 2 * DAY, [
                completions("gpt-4o-2024-08-06", 7, 0, 0, 1, 1, project_id=f"p-{tag}")]),
        ])

    def spec_example(tag: str) -> dict:
        doc = fixture_json("openai/org_usage_completions.spec_example.json")
        for bucket in doc["data"]:
            for result in bucket["results"]:
                result["project_id"] = f"p-{tag}"
        return doc

    return [Seed("page", page, 3), Seed("spec-example", spec_example, 1)]


def _openai_costs_seeds() -> list[Seed]:
    def page(tag: str) -> dict:
        return openai_page([(NOV_1, NOV_1 + DAY, [
            cost(0.123456, "gpt-4o-2024-08-06, input", project_id=f"p-{tag}"),
            cost(1.5, "gpt-4o-2024-08-06, output", project_id=f"p-{tag}")])])

    def spec_example(tag: str) -> dict:
        doc = fixture_json("openai/org_costs.spec_example.json")
        for bucket in doc["data"]:
            for result in bucket["results"]:
                result["project_id"] = f"p-{tag}"
        return doc

    return [Seed("page", page, 2), Seed("spec-example", spec_example, 1)]


def _anthropic_usage_seeds() -> list[Seed]:
    def page(tag: str) -> dict:
        return anthropic_page([
            (day_iso(0), day_iso(1), [
                claude_usage("claude-sonnet-4-20250514", 1500, 200, 500, 1000, 500, 10,
                             workspace_id=f"w-{tag}"),
                claude_usage("claude-3-5-haiku-20241022", 10, 0, 0, 0, 1,
                             workspace_id=f"w-{tag}")]),
        ])

    def docs_example(tag: str) -> dict:
        doc = fixture_json("anthropic/usage_report_messages.docs_example.json")
        for bucket in doc["data"]:
            for result in bucket["results"]:
                result["workspace_id"] = f"w-{tag}"
        return doc

    return [Seed("page", page, 2), Seed("docs-example", docs_example, 1)]


def _anthropic_costs_seeds() -> list[Seed]:
    def page(tag: str) -> dict:
        return anthropic_page([(day_iso(0), day_iso(1), [
            claude_cost("123.45", "output_tokens", "Claude Sonnet 4 Output",
                        workspace_id=f"w-{tag}", model="claude-sonnet-4-20250514"),
            claude_cost("10", "uncached_input_tokens", "Claude Sonnet 4 Input",
                        workspace_id=f"w-{tag}", model="claude-sonnet-4-20250514")])])

    return [Seed("page", page, 2)]


SEEDS: dict[str, list[Seed]] = {
    "litellm": _litellm_seeds(),
    "openai": _openai_seeds(),
    "anthropic": _anthropic_seeds(),
    "otel": _otel_seeds(),
    "gemini": _gemini_seeds(),
    "bedrock": _bedrock_seeds(),
    "openrouter": _openrouter_seeds(),
    "helicone": _helicone_seeds(),
    "portkey": _portkey_seeds(),
    "openai_usage": _openai_usage_seeds(),
    "openai_costs": _openai_costs_seeds(),
    "anthropic_usage": _anthropic_usage_seeds(),
    "anthropic_costs": _anthropic_costs_seeds(),
}


# -- CSV seeds ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CsvSeeds:
    header: list[str]
    rows: list[Callable[[str], dict]]
    cell: Callable[[Any], str]


def _plain_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


COSTS_CSV_HEADER = ["start_time", "end_time", "amount_value", "amount_currency", "line_item",
                    "project_id", "organization_id", "project_name", "organization_name"]

CSV_SEEDS: dict[str, CsvSeeds] = {
    "helicone": CsvSeeds(CSV_HEADER, [
        lambda t: {**CSV_OPENAI, "response_id": f"hc-{t}"},
        lambda t: {**CSV_NAIVE, "response_id": f"hc-{t}"},
        lambda t: {**CSV_FAILED, "response_id": f"hc-{t}"},
    ], csv_cell),
    "openai_costs": CsvSeeds(COSTS_CSV_HEADER, [
        lambda t: {"start_time": NOV_1, "end_time": NOV_1 + DAY, "amount_value": 0.123456,
                   "amount_currency": "usd", "line_item": "gpt-4o-2024-08-06, input",
                   "project_id": f"p-{t}", "organization_id": "org_1",
                   "project_name": "Web app", "organization_name": "Acme"},
        lambda t: {"start_time": NOV_1 + DAY, "end_time": NOV_1 + 2 * DAY, "amount_value": 2,
                   "amount_currency": "usd", "line_item": "web search tool calls",
                   "project_id": f"p-{t}", "organization_id": "org_1", "project_name": "",
                   "organization_name": "Acme"},
    ], _plain_cell),
}


# -- mutation building blocks -------------------------------------------------------------

Path = tuple  # a path of dict keys / list indexes from the record root


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every node below the root (objects, lists and leaves), depth first."""
    found: list[Path] = []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return found
    for key, child in items:
        here = (*prefix, key)
        found.append(here)
        found.extend(paths(child, here))
    return found


def object_paths(value: Any) -> list[Path]:
    """Paths of every JSON object in ``value``, the root () included."""
    return [p for p in [(), *paths(value)] if isinstance(get_at(value, p), dict)]


def get_at(value: Any, path: Path) -> Any:
    for key in path:
        value = value[key]
    return value


def set_at(value: Any, path: Path, new: Any) -> None:
    get_at(value, path[:-1])[path[-1]] = new


TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")

ODD_ZONES = ["+14:00", "-12:00", "+05:45", "Z", "z", "", "+00:00", "-00:00", "+0530", "+05",
             "-23:59", "+24:00", "+99:99", " UTC", "+14:00[Pacific/Kiritimati]"]
ODD_CLOCKS = ["23:59:60", "00:00:00", "24:00:00", "23:59:59.999999999", "12:00:00.5",
              "25:61:61"]
# Year 1 is left out: it crashes the ingest (test_fuzz.py::test_year_one_timestamp_*, xfail).
ODD_DATES = ["2024-02-29", "2023-02-29", "1970-01-01", "1900-01-01", "9999-12-31", "2025-13-01",
             "2026-11-20"]


def timestamp_paths(value: Any) -> list[Path]:
    return [p for p in paths(value)
            if isinstance(get_at(value, p), str) and TIMESTAMP.match(get_at(value, p))]


def pretty_json_with_duplicate(record: Any, obj_path: Path, key: str, extra: Any,
                               extra_first: bool) -> str:
    """Compact JSON of ``record`` where the object at ``obj_path`` holds ``key`` twice: the
    extra value before (or after) the real one."""
    def encode(value: Any, here: Path) -> str:
        if isinstance(value, dict):
            parts = [f"{json.dumps(k)}:{encode(v, (*here, k))}" for k, v in value.items()]
            if here == obj_path:
                dup = f"{json.dumps(key)}:{json.dumps(extra)}"
                parts = [dup, *parts] if extra_first else [*parts, dup]
            return "{" + ",".join(parts) + "}"
        if isinstance(value, list):
            return "[" + ",".join(encode(v, (*here, i)) for i, v in enumerate(value)) + "]"
        return json.dumps(value)
    return encode(record, ())


def nested(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"n": value} if kind == "object" else [value]
    return value


def nested_text(depth: int, kind: str) -> str:
    """Deep nesting as text (Python's encoder recurses; this does not)."""
    if kind == "object":
        return '{"n":' * depth + "1" + "}" * depth
    return "[" * depth + "1" + "]" * depth
