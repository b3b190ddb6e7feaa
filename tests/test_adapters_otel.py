"""OpenTelemetry GenAI spans (OTLP/JSON) -> canonical requests.

There is no public real OTLP/JSON dump of GenAI spans (see /work/shared/reference/FORMATS.md §7:
only other projects' synthetic fixtures), so the GenAI documents here are constructed in
``tmp_path`` from the semantic conventions (attribute names and types as specified, AnyValue
encoding as in opentelemetry-proto's examples/trace.json). The one recorded file,
``fixtures/otel/otlp_json_trace_example.json``, is that canonical example, copied byte-for-byte:
it has no GenAI span and must yield nothing. Token numbers of the Anthropic spans are the real
cache call of ``fixtures/anthropic/messages_cache_write_read_real_api.responses.json`` (3
uncached + 1111 read + 418 written).

Quirks protected here:
- one record (document) holds many spans: one row per LLM span, ``source_item`` = the span's
  0-based position in the whole document; HTTP/DB/tool spans are not records;
- three attribute vintages: ``gen_ai.provider.name`` + ``gen_ai.usage.input_tokens`` + cache and
  reasoning attributes (>= 1.40/1.41); the deprecated ``gen_ai.system`` +
  ``gen_ai.usage.prompt_tokens``/``completion_tokens``; OpenInference ``llm.token_count.*``,
  ``llm.model_name``, ``session.id``;
- 64-bit ints (``intValue``, ``*UnixNano``) are decimal strings on the wire, numbers from many
  emitters: both are accepted;
- OTel >= 1.40 ``input_tokens`` includes cache reads and writes; older Anthropic
  instrumentations leave them out: when the cache parts exceed the input they are added back;
  likewise pre-1.41 Gemini output_tokens without the thoughts (reasoning > output);
- an ``invoke_agent`` span may carry the SUM of its children's usage: counted once (children);
- attribution comes from span attributes, then resource attributes (``service.name`` is the
  feature when no feature key is set); the trace is reassembled from trace_id + parent_span_id;
- span status ERROR (code 2) or ``error.type`` is a failed call (0 tokens when none reported).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import (
    assert_balanced,
    fixture_path,
    ingest,
    quarantine_rows,
    query,
    request_row,
    write_jsonl,
)

from pipelines import warehouse
from pipelines.detect import detect
from pipelines.paths import Home

MTOK = Decimal(1_000_000)
# openai/gpt-4o-mini/standard/0/2024-07-18 (pricing/prices.csv), USD per 1M tokens
GPT_4O_MINI_INPUT = Decimal("0.15")
GPT_4O_MINI_CACHED = Decimal("0.075")
GPT_4O_MINI_OUTPUT = Decimal("0.60")
# anthropic/claude-sonnet-4-5/standard/0/2025-09-29
SONNET_45_INPUT = Decimal("3")
SONNET_45_CACHE_READ = Decimal("0.30")
SONNET_45_CACHE_WRITE_5M = Decimal("3.75")
SONNET_45_OUTPUT = Decimal("15")

EXAMPLE_FILE = "otel/otlp_json_trace_example.json"
METRICS_EXAMPLE_FILE = "otel/otlp_json_metrics_example.json"

# 2025-10-15T09:00:00Z in nanoseconds since the epoch.
T0 = 1_760_518_800_000_000_000
SECOND = 1_000_000_000

TRACE_NEW = "0af7651916cd43dd8448eb211c80319c"
TRACE_OLD = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACE_OI = "a3ce929d0e0e47364bf92f3577b34da6"
TRACE_AGENT = "5B8EFFF798038103D269B633813FC60C"  # upper-case hex, as in the proto example
TRACE_MISC = "00f067aa0ba902b700f067aa0ba902b7"

AGENT_SPAN = "EEE19B7EC3C1B174"
CHILD_1 = "EEE19B7EC3C1B175"
CHILD_2 = "EEE19B7EC3C1B176"


def rid(trace: str, span: str) -> str:
    return f"{trace.lower()}:{span.lower()}"


# -- OTLP/JSON builders ---------------------------------------------------------------------

def any_value(value, *, ints_as: str = "string") -> dict:
    """OTLP AnyValue. 64-bit ints are JSON strings in OTLP/JSON (ints_as='number' for emitters
    that write numbers)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value) if ints_as == "string" else value}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [any_value(v, ints_as=ints_as) for v in value]}}
    return {"stringValue": value}


def attributes(values: dict, *, ints_as: str = "string") -> list[dict]:
    return [{"key": key, "value": any_value(value, ints_as=ints_as)}
            for key, value in values.items()]


def span(trace_id: str, span_id: str, name: str, attrs: dict, *, parent: str = "",
         start: int = T0, duration: int = 2 * SECOND, status: dict | None = None,
         kind: int = 3, ints_as: str = "string") -> dict:
    end = start + duration
    times = (str(start), str(end)) if ints_as == "string" else (start, end)
    return {
        "traceId": trace_id, "spanId": span_id, "parentSpanId": parent, "name": name,
        "kind": kind, "startTimeUnixNano": times[0], "endTimeUnixNano": times[1],
        "attributes": attributes(attrs, ints_as=ints_as),
        "status": status or {},
    }


def document(spans: list[dict], resource: dict | None = None, *,
             scope: str = "opentelemetry.instrumentation.genai") -> dict:
    """One collector file-exporter document: a resourceSpans batch."""
    return {"resourceSpans": [{
        "resource": {"attributes": attributes(resource or {"service.name": "app"})},
        "scopeSpans": [{"scope": {"name": scope, "version": "0.1.0"}, "spans": spans}],
    }]}


# -- the documents --------------------------------------------------------------------------

def new_vintage_span() -> dict:
    """semconv >= 1.41: provider.name, input_tokens INCLUDING cache, cache and reasoning."""
    return span(TRACE_NEW, "b7ad6b7169203331", "chat claude-sonnet-4-5", {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4-5",
        "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "gen_ai.response.id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "gen_ai.response.finish_reasons": ["end_turn"],
        "gen_ai.usage.input_tokens": 1532,
        "gen_ai.usage.cache_read.input_tokens": 1111,
        "gen_ai.usage.cache_creation.input_tokens": 418,
        "gen_ai.usage.output_tokens": 533,
        "gen_ai.usage.reasoning.output_tokens": 500,
        "gen_ai.conversation.id": "conv-new",
        "server.address": "api.anthropic.com",
        "server.port": 443,
    }, duration=3_250_000_000)


def old_vintage_span() -> dict:
    """semconv < 1.37 (OpenLLMetry, older contrib): gen_ai.system, prompt/completion tokens,
    intValue and *UnixNano written as JSON numbers."""
    return span(TRACE_OLD, "00f067aa0ba902b7", "chat gpt-4o-mini", {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.prompt_tokens": 12,
        "gen_ai.usage.completion_tokens": 5,
        "gen_ai.openai.response.service_tier": "default",
    }, start=T0 + 60 * SECOND, duration=750_000_000, ints_as="number")


def openinference_span() -> dict:
    return span(TRACE_OI, "53995c3f42cd8ad8", "ChatOpenAI", {
        "openinference.span.kind": "LLM",
        "llm.provider": "openai",
        "llm.system": "openai",
        "llm.model_name": "gpt-4o-mini-2024-07-18",
        "llm.token_count.prompt": 2048,
        "llm.token_count.completion": 100,
        "llm.token_count.total": 2148,
        "llm.token_count.prompt_details.cache_read": 1024,
        "llm.cost.total": 0.00029,
        "session.id": "sess-oi",
        "user.id": "user-42",
    }, kind=1, start=T0 + 120 * SECOND)


AGENT_RESOURCE = {
    "service.name": "support-bot",
    "service.version": "2.4.1",
    "deployment.environment": "prod",
    "telemetry.sdk.language": "python",
    "llmcost.team": "support",
    "process.pid": 4242,
}


def agent_trace_document() -> dict:
    """invoke_agent summing its two chat children (300/30), a tool span, an HTTP span."""
    chat = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.conversation.id": "conv-agent-1", "gen_ai.agent.name": "triage"}
    return document([
        span(TRACE_AGENT, AGENT_SPAN, "invoke_agent triage", {
            "gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "openai",
            "gen_ai.agent.name": "triage", "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.conversation.id": "conv-agent-1",
            "gen_ai.usage.input_tokens": 300, "gen_ai.usage.output_tokens": 30,
        }, kind=1, duration=6 * SECOND),
        span(TRACE_AGENT, CHILD_1, "chat gpt-4o-mini",
             {**chat, "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10},
             parent=AGENT_SPAN, start=T0 + SECOND, duration=SECOND),
        span(TRACE_AGENT, "EEE19B7EC3C1B177", "execute_tool lookup_order", {
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order",
        }, parent=AGENT_SPAN, kind=1, start=T0 + 2 * SECOND, duration=SECOND // 2),
        span(TRACE_AGENT, "EEE19B7EC3C1B178", "GET", {
            "http.request.method": "GET", "url.full": "https://orders.internal/42",
            "http.response.status_code": 200,
        }, parent="EEE19B7EC3C1B177", start=T0 + 2 * SECOND, duration=SECOND // 4),
        span(TRACE_AGENT, CHILD_2, "chat gpt-4o-mini",
             {**chat, "gen_ai.usage.input_tokens": 200, "gen_ai.usage.output_tokens": 20,
              "llmcost.feature": "refunds"},
             parent=AGENT_SPAN, start=T0 + 3 * SECOND, duration=2 * SECOND),
    ], AGENT_RESOURCE)


def misc_document() -> dict:
    """Error spans, an embeddings span and the old-Anthropic cache trap, in two resources."""
    return {"resourceSpans": [
        document([
            span(TRACE_MISC, "1000000000000001", "chat gpt-4o-mini", {
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini", "error.type": "429",
            }, status={"code": 2, "message": "Rate limit reached"}, start=T0 + 200 * SECOND),
            span(TRACE_MISC, "1000000000000002", "embeddings text-embedding-3-small", {
                "gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "text-embedding-3-small",
                "gen_ai.usage.input_tokens": 8,
            }, start=T0 + 210 * SECOND),
        ], {"service.name": "indexer", "deployment.environment.name": "staging",
            "team": "platform"})["resourceSpans"][0],
        document([
            # An older Anthropic instrumentation: input_tokens is Anthropic's own (uncached) count.
            span(TRACE_MISC, "1000000000000003", "chat claude-sonnet-4-5", {
                "gen_ai.operation.name": "chat", "gen_ai.system": "anthropic",
                "gen_ai.request.model": "claude-sonnet-4-5-20250929",
                "gen_ai.usage.input_tokens": 3,
                "gen_ai.usage.cache_read_input_tokens": 1111,
                "gen_ai.usage.cache_creation_input_tokens": 418,
                "gen_ai.usage.output_tokens": 33,
                "app.team": "span-team", "feature": "summaries",
            }, start=T0 + 220 * SECOND),
        ], {"service.name": "summarizer", "team": "resource-team"})["resourceSpans"][0],
    ]}


@pytest.fixture(scope="module")
def otel_file(tmp_path_factory) -> Path:
    """A collector file-exporter JSONL: one resourceSpans document per line."""
    tmp = tmp_path_factory.mktemp("otel")
    return write_jsonl(tmp / "traces.jsonl", [
        document([new_vintage_span()],
                 {"service.name": "chat-api", "deployment.environment": "prod"}),
        document([old_vintage_span()], {"service.name": "legacy-api"}),
        document([openinference_span()],
                 {"service.name": "rag", "openinference.project.name": "x"}),
        agent_trace_document(),
        misc_document(),
    ])


@pytest.fixture(scope="module")
def otel_home(tmp_path_factory, otel_file) -> Home:
    home = Home(tmp_path_factory.mktemp("otel_home") / "home")
    (result,) = ingest(home, otel_file, "otel")
    assert_balanced(result)
    # 1 + 1 + 1 + 2 (agent children) + 3 (error, embeddings, anthropic)
    assert (result.records_loaded, result.records_quarantined) == (8, 0)
    warehouse.build(home)
    return home


# -- vintages -------------------------------------------------------------------------------

def test_new_vintage_provider_name_cache_and_reasoning(otel_home):
    row = request_row(otel_home, rid(TRACE_NEW, "b7ad6b7169203331"))
    assert row["source"] == "otel"
    assert (row["source_line"], row["source_item"]) == (1, 0)
    assert row["occurred_at"] == datetime(2025, 10, 15, 9, 0, tzinfo=UTC)
    assert row["ended_at"] == datetime(2025, 10, 15, 9, 0, 3, 250000, tzinfo=UTC)
    assert row["latency_ms"] == 3250
    assert row["provider"] == "anthropic"
    assert row["model_raw"] == "claude-sonnet-4-5-20250929"  # response model wins
    assert row["model"] == "claude-sonnet-4-5"
    assert row["api_surface"] == "chat"
    assert row["status"] == "success"
    # input_tokens already includes the cache (>= 1.40): nothing added.
    assert row["input_tokens"] == 1532
    assert row["cache_read_input_tokens"] == 1111
    assert row["cache_creation_input_tokens"] == 418
    assert row["uncached_input_tokens"] == 3
    assert (row["output_tokens"], row["reasoning_output_tokens"]) == (533, 500)
    assert row["session_id"] == "conv-new"
    assert row["trace_id"] == TRACE_NEW
    expected = (3 * SONNET_45_INPUT + 1111 * SONNET_45_CACHE_READ
                + 418 * SONNET_45_CACHE_WRITE_5M + 533 * SONNET_45_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0099048")
    assert row["price_id"] == "anthropic/claude-sonnet-4-5/standard/0/2025-09-29"
    assert json.loads(row["usage_raw"]) == {
        "gen_ai.usage.input_tokens": "1532", "gen_ai.usage.cache_read.input_tokens": "1111",
        "gen_ai.usage.cache_creation.input_tokens": "418", "gen_ai.usage.output_tokens": "533",
        "gen_ai.usage.reasoning.output_tokens": "500"}


def test_deprecated_gen_ai_system_prompt_and_completion_tokens(otel_home):
    row = request_row(otel_home, rid(TRACE_OLD, "00f067aa0ba902b7"))
    assert row["provider"] == "openai"
    assert row["model_raw"] == "gpt-4o-mini"  # no response model: the request model
    assert row["service_tier"] == "standard"  # gen_ai.openai.response.service_tier "default"
    assert (row["input_tokens"], row["output_tokens"]) == (12, 5)
    assert row["cache_read_input_tokens"] == 0
    assert row["occurred_at"] == datetime(2025, 10, 15, 9, 1, tzinfo=UTC)
    assert row["latency_ms"] == 750
    expected = (12 * GPT_4O_MINI_INPUT + 5 * GPT_4O_MINI_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0000048")
    assert row["price_id"] == "openai/gpt-4o-mini/standard/0/2024-07-18"


def test_openinference_token_count_keys(otel_home):
    row = request_row(otel_home, rid(TRACE_OI, "53995c3f42cd8ad8"))
    assert row["provider"] == "openai"
    assert row["model_raw"] == "gpt-4o-mini-2024-07-18"
    assert row["api_surface"] == "llm"
    assert (row["input_tokens"], row["cache_read_input_tokens"]) == (2048, 1024)
    assert row["output_tokens"] == 100
    assert row["session_id"] == "sess-oi"
    assert row["user_id"] == "user-42"
    assert row["feature"] == "rag"  # service.name
    assert row["reported_cost_usd"] == pytest.approx(0.00029)  # llm.cost.total: a claim
    expected = (1024 * GPT_4O_MINI_INPUT + 1024 * GPT_4O_MINI_CACHED
                + 100 * GPT_4O_MINI_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0002904")


@pytest.mark.parametrize("ints_as", ["string", "number"])
def test_int_value_as_string_or_number(home, tmp_path, ints_as):
    """OTLP/JSON says 64-bit ints are strings; many emitters write numbers."""
    doc = document([span(TRACE_OLD, "00f067aa0ba902b8", "chat gpt-4o-mini", {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 4096, "gen_ai.usage.cache_read.input_tokens": 2048,
        "gen_ai.usage.output_tokens": 512,
    }, ints_as=ints_as)])
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    value = spans[0]["attributes"][3]["value"]["intValue"]
    assert isinstance(value, str if ints_as == "string" else int)
    (result,) = ingest(home, write_jsonl(tmp_path / "ints.jsonl", [doc]), "otel")
    assert (result.records_loaded, result.records_quarantined) == (1, 0)
    warehouse.build(home)
    row = request_row(home, rid(TRACE_OLD, "00f067aa0ba902b8"))
    assert row["input_tokens"] == 4096
    assert row["cache_read_input_tokens"] == 2048
    assert row["output_tokens"] == 512
    assert row["occurred_at"] == datetime(2025, 10, 15, 9, 0, tzinfo=UTC)
    assert row["latency_ms"] == 2000


# -- agent traces ---------------------------------------------------------------------------

def test_agent_parent_usage_not_double_counted(otel_home):
    """invoke_agent reports 300/30 = the sum of its two chat children: only the children load."""
    rows = query(otel_home, "SELECT * FROM requests WHERE trace_id = ? ORDER BY source_item",
                 [TRACE_AGENT.lower()])
    assert [r["request_id"] for r in rows] == [rid(TRACE_AGENT, CHILD_1), rid(TRACE_AGENT, CHILD_2)]
    # positions in the document: agent 0, chat 1, tool 2, http 3, chat 4
    assert [(r["source_line"], r["source_item"]) for r in rows] == [(4, 1), (4, 4)]
    assert sum(r["input_tokens"] for r in rows) == 300
    assert sum(r["output_tokens"] for r in rows) == 30
    for row in rows:
        assert row["tags"]["parent_span_id"] == AGENT_SPAN.lower()
        assert row["tags"]["gen_ai.operation.name"] == "chat"
        assert row["session_id"] == "conv-agent-1"
    total = sum(r["cost_usd"] for r in rows)
    expected = (300 * GPT_4O_MINI_INPUT + 30 * GPT_4O_MINI_OUTPUT) / MTOK
    assert total == expected == Decimal("0.000063")
    (session,) = query(otel_home, "SELECT * FROM session_costs WHERE session_id = 'conv-agent-1'")
    assert (session["calls"], session["input_tokens"], session["output_tokens"]) == (2, 300, 30)
    assert session["cost_usd"] == Decimal("0.000063")


def test_agent_span_with_usage_and_no_usage_children_is_counted(home, tmp_path):
    """An agent span is a request when it is the only place the usage is reported."""
    doc = document([
        span(TRACE_AGENT, AGENT_SPAN, "invoke_agent triage", {
            "gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 300, "gen_ai.usage.output_tokens": 30}),
        span(TRACE_AGENT, CHILD_1, "execute_tool lookup_order",
             {"gen_ai.operation.name": "execute_tool"}, parent=AGENT_SPAN),
        span(TRACE_AGENT, CHILD_2, "invoke_agent helper",
             {"gen_ai.operation.name": "invoke_agent"}, parent=AGENT_SPAN),
    ])
    (result,) = ingest(home, write_jsonl(tmp_path / "agent_only.jsonl", [doc]), "otel")
    assert (result.records_read, result.records_loaded) == (1, 1)
    warehouse.build(home)
    row = request_row(home, rid(TRACE_AGENT, AGENT_SPAN))
    assert (row["input_tokens"], row["output_tokens"]) == (300, 30)
    assert row["api_surface"] == "invoke_agent"
    assert "parent_span_id" not in row["tags"]  # a root span


def _agent_spans() -> tuple[dict, list[dict]]:
    """The agent span (300/30, summing its calls) and its two chat children (100/10, 200/20)."""
    chat = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini"}
    agent = span(TRACE_AGENT, AGENT_SPAN, "invoke_agent triage", {
        "gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 300, "gen_ai.usage.output_tokens": 30},
        kind=1, duration=6 * SECOND)
    children = [
        span(TRACE_AGENT, CHILD_1, "chat gpt-4o-mini",
             {**chat, "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10},
             parent=AGENT_SPAN, start=T0 + SECOND, duration=SECOND),
        span(TRACE_AGENT, CHILD_2, "chat gpt-4o-mini",
             {**chat, "gen_ai.usage.input_tokens": 200, "gen_ai.usage.output_tokens": 20},
             parent=AGENT_SPAN, start=T0 + 3 * SECOND, duration=2 * SECOND),
    ]
    return agent, children


def _trace_totals(home: Home) -> tuple[int, int, int]:
    warehouse.build(home)
    (row,) = query(home, "SELECT count(*) AS n, sum(input_tokens) AS i, sum(output_tokens) AS o "
                         "FROM requests WHERE trace_id = ?", [TRACE_AGENT.lower()])
    return row["n"], row["i"], row["o"]


def test_parent_span_in_a_later_document_is_not_double_counted(home, tmp_path):
    """The batch exporter writes spans as they end: the children first, the agent span in a
    later document. The agent span is a duplicate of its children's usage."""
    agent, children = _agent_spans()
    path = write_jsonl(tmp_path / "batches.jsonl", [document(children), document([agent])])
    (result,) = ingest(home, path, "otel")
    assert_balanced(result)
    assert (result.records_read, result.records_loaded, result.records_duplicate,
            result.records_quarantined) == (3, 2, 1, 0)
    assert _trace_totals(home) == (2, 300, 30)
    (rejected,) = quarantine_rows(home, path)
    assert (rejected["source_line"], rejected["request_id"], rejected["reason_code"],
            rejected["is_duplicate"]) == (2, rid(TRACE_AGENT, AGENT_SPAN), "duplicate", True)
    assert rejected["reason"] == (
        f"span {rid(TRACE_AGENT, AGENT_SPAN)} is the parent of 2 span(s) reporting their own "
        f"usage, counted instead (e.g. {rid(TRACE_AGENT, CHILD_1)})")


def test_parent_span_in_a_later_file_is_not_double_counted(home, tmp_path):
    agent, children = _agent_spans()
    first = write_jsonl(tmp_path / "a.jsonl", [document(children)])
    second = write_jsonl(tmp_path / "b.jsonl", [document([agent])])
    (r1,) = ingest(home, first, "otel")
    (r2,) = ingest(home, second, "otel")
    assert (r1.records_loaded, r1.records_duplicate) == (2, 0)
    assert (r2.records_read, r2.records_loaded, r2.records_duplicate) == (1, 0, 1)
    assert _trace_totals(home) == (2, 300, 30)


def test_children_after_their_parent_was_loaded_are_the_duplicates(home, tmp_path):
    """Lake files are immutable: once the agent span is loaded (its children not yet seen),
    the children that arrive later are the ones not counted, so the trace still counts once."""
    agent, children = _agent_spans()
    other = span(TRACE_AGENT, "EEE19B7EC3C1B179", "chat gpt-4o-mini", {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 1})  # a root call
    first = write_jsonl(tmp_path / "a.jsonl", [document([agent])])
    second = write_jsonl(tmp_path / "b.jsonl", [document([*children, other])])
    (r1,) = ingest(home, first, "otel")
    (r2,) = ingest(home, second, "otel")
    assert r1.records_loaded == 1
    assert (r2.records_read, r2.records_loaded, r2.records_duplicate) == (3, 1, 2)
    assert _trace_totals(home) == (2, 307, 31)
    reasons = {r["request_id"]: r["reason"] for r in quarantine_rows(home, second)}
    assert reasons == {
        rid(TRACE_AGENT, child): f"span {rid(TRACE_AGENT, AGENT_SPAN)}, ingested earlier, "
                                 "already counts its usage (its parent)"
        for child in (CHILD_1, CHILD_2)}


def _chat(span_id: str, parent: str, tokens: tuple[int, int]) -> dict:
    return span(TRACE_AGENT, span_id, "chat gpt-4o-mini", {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": tokens[0], "gen_ai.usage.output_tokens": tokens[1]},
        parent=parent)


def test_a_chain_below_a_loaded_span_counts_once(home, tmp_path):
    """A (loaded earlier) -> B -> C, each reporting the same 300/30 (each sums what is below
    it), B and C arriving later in separate documents: both are covered by A."""
    a, b, c = AGENT_SPAN, CHILD_1, CHILD_2
    first = write_jsonl(tmp_path / "a.jsonl", [document([_chat(a, "", (300, 30))])])
    second = write_jsonl(tmp_path / "b.jsonl", [document([_chat(c, b, (300, 30))]),
                                                document([_chat(b, a, (300, 30))])])
    ingest(home, first, "otel")
    (result,) = ingest(home, second, "otel")
    assert (result.records_read, result.records_loaded, result.records_duplicate) == (2, 0, 2)
    assert _trace_totals(home) == (1, 300, 30)
    reasons = {r["request_id"]: r["reason"] for r in quarantine_rows(home, second)}
    assert reasons == {
        rid(TRACE_AGENT, b): f"span {rid(TRACE_AGENT, a)}, ingested earlier, already counts "
                             "its usage (its parent)",
        rid(TRACE_AGENT, c): f"span {rid(TRACE_AGENT, a)}, ingested earlier, already counts "
                             "its usage (an ancestor)"}


def test_a_loaded_parent_without_usage_does_not_hide_its_children(home, tmp_path):
    """A root span loaded with zero tokens (a failed call) covers nothing: the child that
    arrives later counts."""
    first = write_jsonl(tmp_path / "a.jsonl", [document([_chat(AGENT_SPAN, "", (0, 0))])])
    second = write_jsonl(tmp_path / "b.jsonl",
                         [document([_chat(CHILD_1, AGENT_SPAN, (300, 30))])])
    ingest(home, first, "otel")
    (result,) = ingest(home, second, "otel")
    assert (result.records_loaded, result.records_duplicate) == (1, 0)
    assert _trace_totals(home) == (2, 300, 30)


def test_resource_attribution_and_span_override(otel_home):
    first = request_row(otel_home, rid(TRACE_AGENT, CHILD_1))
    assert first["team"] == "support"  # resource llmcost.team
    assert first["feature"] == "support-bot"  # no feature key: resource service.name
    assert first["environment"] == "prod"  # resource deployment.environment
    assert first["tags"]["service.name"] == "support-bot"
    assert first["tags"]["deployment.environment"] == "prod"
    assert first["tags"]["llmcost.team"] == "support"
    assert "service.version" not in first["tags"]  # tags stay modest
    second = request_row(otel_home, rid(TRACE_AGENT, CHILD_2))
    assert second["feature"] == "refunds"  # span llmcost.feature beats service.name
    assert second["tags"]["llmcost.feature"] == "refunds"

    staging = request_row(otel_home, rid(TRACE_MISC, "1000000000000002"))
    assert staging["environment"] == "staging"  # deployment.environment.name
    assert staging["team"] == "platform"  # resource `team`
    assert staging["feature"] == "indexer"
    summaries = request_row(otel_home, rid(TRACE_MISC, "1000000000000003"))
    assert summaries["team"] == "span-team"  # span app.team beats resource team
    assert summaries["feature"] == "summaries"  # span `feature` beats service.name


# -- traps ----------------------------------------------------------------------------------

def test_anthropic_input_tokens_excluding_cache_are_added_back(otel_home):
    """An older Anthropic instrumentation reported Anthropic's own input_tokens (3, without
    the 1111 read and 418 written): the cache exceeds the input, so it is added back."""
    row = request_row(otel_home, rid(TRACE_MISC, "1000000000000003"))
    assert row["provider"] == "anthropic"
    assert row["input_tokens"] == 3 + 1111 + 418
    assert (row["cache_read_input_tokens"], row["cache_creation_input_tokens"]) == (1111, 418)
    assert row["uncached_input_tokens"] == 3
    assert row["source_item"] == 2  # third span of the document, second resource
    expected = (3 * SONNET_45_INPUT + 1111 * SONNET_45_CACHE_READ
                + 418 * SONNET_45_CACHE_WRITE_5M + 33 * SONNET_45_OUTPUT) / MTOK
    assert row["cost_usd"] == expected == Decimal("0.0024048")


def test_error_span_is_a_failed_call_with_zero_tokens(otel_home):
    row = request_row(otel_home, rid(TRACE_MISC, "1000000000000001"))
    assert row["status"] == "failure"
    assert (row["input_tokens"], row["output_tokens"]) == (0, 0)
    assert row["cost_usd"] == Decimal("0")


def test_error_type_without_status_is_a_failure(home, tmp_path):
    doc = document([span(TRACE_MISC, "1000000000000009", "chat gpt-4o-mini", {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini", "error.type": "timeout",
        "gen_ai.usage.input_tokens": 40, "gen_ai.usage.output_tokens": 0})])
    ingest(home, write_jsonl(tmp_path / "err.jsonl", [doc]), "otel")
    warehouse.build(home)
    row = request_row(home, rid(TRACE_MISC, "1000000000000009"))
    assert row["status"] == "failure"
    assert (row["input_tokens"], row["output_tokens"]) == (40, 0)  # reported usage is kept


def test_embeddings_span_has_zero_output(otel_home):
    row = request_row(otel_home, rid(TRACE_MISC, "1000000000000002"))
    assert row["api_surface"] == "embeddings"
    assert (row["input_tokens"], row["output_tokens"]) == (8, 0)
    assert row["model_raw"] == "text-embedding-3-small"


# -- file layouts, detection, the recorded example ------------------------------------------

def test_detects_collector_jsonl(otel_file):
    assert detect(otel_file).source == "otel"


def test_pretty_printed_single_document(home, tmp_path):
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(agent_trace_document(), indent=2))
    assert detect(path).source == "otel"
    (result,) = ingest(home, path, "otel")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (2, 2, 0)
    warehouse.build(home)
    rows = query(home, "SELECT source_line, source_item, input_tokens FROM requests ORDER BY 2")
    assert [(r["source_line"], r["source_item"], r["input_tokens"]) for r in rows] == [
        (1, 1, 100), (1, 4, 200)]


def test_recorded_proto_example_has_no_genai_span(home):
    """opentelemetry-proto's examples/trace.json (a server span, no gen_ai.* attributes): an
    OTLP document, recognised as such, that holds no LLM request."""
    path = fixture_path(EXAMPLE_FILE)
    detection = detect(path)
    assert (detection.source, detection.score) == ("otel", 0.6)
    (result,) = ingest(home, path, "otel")
    assert result.status == "loaded"
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (0, 0, 0)
    warehouse.build(home)
    assert query(home, "SELECT count(*) AS n FROM requests")[0]["n"] == 0
    assert quarantine_rows(home) == []


def test_metrics_documents_in_the_same_file_are_skipped(home, tmp_path):
    """The file exporter can write every signal to one file: metrics documents hold no span."""
    metrics = json.loads(fixture_path(METRICS_EXAMPLE_FILE).read_text())
    path = write_jsonl(tmp_path / "all_signals.jsonl", [metrics, document([old_vintage_span()])])
    (result,) = ingest(home, path, "otel")
    assert (result.records_loaded, result.records_quarantined) == (1, 0)


# -- bad input ------------------------------------------------------------------------------

def test_bad_attribute_values_are_quarantined_with_reasons(home, tmp_path):
    def chat(span_id: str, extra: dict, **kw) -> dict:
        return span(TRACE_MISC, span_id, "chat gpt-4o-mini", {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini", **extra}, **kw)

    bad_int = chat("2000000000000001", {"gen_ai.usage.output_tokens": 5})
    bad_int["attributes"].append({"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12a"}})
    bad_start = chat("2000000000000004", {"gen_ai.usage.input_tokens": 1,
                                          "gen_ai.usage.output_tokens": 1})
    bad_start["startTimeUnixNano"] = "2025-10-15T09:00:00Z"
    lines = [
        document([
            bad_int,
            chat("2000000000000002", {"gen_ai.usage.input_tokens": 10,
                                      "gen_ai.usage.output_tokens": -5}),
            chat("2000000000000003", {"gen_ai.usage.input_tokens": 10,
                                      "gen_ai.usage.output_tokens": 2}),  # fine
            bad_start,
        ]),
        {"spans": [{"name": "not an OTLP document"}]},
        "{not json",
    ]
    path = write_jsonl(tmp_path / "bad.jsonl", lines)
    (result,) = ingest(home, path, "otel")
    assert_balanced(result)
    assert (result.records_loaded, result.records_quarantined) == (1, 5)
    warehouse.build(home)
    rows = {(r["source_line"], r["source_item"]): r for r in quarantine_rows(home, path)}
    assert set(rows) == {(1, 0), (1, 1), (1, 3), (2, 0), (3, None)}
    assert rows[(1, 0)]["reason_code"] == "invalid_tokens"
    assert 'gen_ai.usage.input_tokens is "12a", not a whole number' in rows[(1, 0)]["reason"]
    assert rows[(1, 0)]["request_id"] == rid(TRACE_MISC, "2000000000000001")
    assert rows[(1, 1)]["reason"] == "gen_ai.usage.output_tokens is negative (-5)"
    assert rows[(1, 3)]["reason_code"] == "bad_timestamp"
    assert "startTimeUnixNano" in rows[(1, 3)]["reason"]
    assert rows[(2, 0)]["reason_code"] == "not_a_record"
    assert rows[(3, None)]["reason_code"] == "malformed_json"


def test_llm_span_without_usage_is_quarantined_not_dropped(home, tmp_path):
    """A successful chat span that reports no tokens (streaming without usage): its cost is
    unknown, so it is quarantined where it shows, not silently lost."""
    doc = document([span(TRACE_MISC, "3000000000000001", "chat gpt-4o-mini", {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini"})])
    path = write_jsonl(tmp_path / "nousage.jsonl", [doc])
    (result,) = ingest(home, path, "otel")
    assert (result.records_loaded, result.records_quarantined) == (0, 1)
    warehouse.build(home)
    (row,) = quarantine_rows(home, path)
    assert "no input token count" in row["reason"]


def test_repeated_attribute_key_reads_the_first_value(home, tmp_path):
    """OTLP forbids repeated keys; a writer that repeats one must not fail the file."""
    one = span(TRACE_MISC, "4000000000000001", "chat gpt-4o-mini", {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": 3, "llmcost.team": "first"})
    one["attributes"] += copy.deepcopy(one["attributes"][3:])
    one["attributes"][-1]["value"] = {"stringValue": "second"}
    doc = document([one], {"service.name": "svc", "llmcost.team": "resource"})
    path = write_jsonl(tmp_path / "dup.jsonl", [doc])
    (result,) = ingest(home, path, "otel")
    assert (result.records_loaded, result.records_quarantined) == (1, 0)
    warehouse.build(home)
    row = request_row(home, rid(TRACE_MISC, "4000000000000001"))
    assert (row["input_tokens"], row["output_tokens"]) == (7, 3)
    assert row["team"] == "first"
    assert row["tags"]["llmcost.team"] == "first"


def test_gemini_output_tokens_excluding_thoughts_are_added_back(home, tmp_path):
    """Before semconv 1.41 the Gemini instrumentations put candidatesTokenCount (without the
    thoughts) in output_tokens; reasoning larger than the output means it was left out. Numbers
    from FORMATS.md §0's real Vertex call: 32 prompt, 41 candidates, 2395 thoughts."""
    doc = document([span(TRACE_MISC, "5000000000000001", "generate_content gemini-2.5-pro", {
        "gen_ai.operation.name": "generate_content", "gen_ai.provider.name": "gcp.vertex_ai",
        "gen_ai.request.model": "gemini-2.5-pro",
        "gen_ai.usage.input_tokens": 32, "gen_ai.usage.output_tokens": 41,
        "gen_ai.usage.reasoning.output_tokens": 2395})])
    (result,) = ingest(home, write_jsonl(tmp_path / "gemini.jsonl", [doc]), "otel")
    assert (result.records_loaded, result.records_quarantined) == (1, 0)
    warehouse.build(home)
    row = request_row(home, rid(TRACE_MISC, "5000000000000001"))
    assert row["provider"] == "google"
    assert row["api_surface"] == "generate_content"
    assert (row["output_tokens"], row["reasoning_output_tokens"]) == (41 + 2395, 2395)
