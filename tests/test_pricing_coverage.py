"""Every real recorded response in tests/fixtures, priced end to end, and checked against
genai-prices' own calculator.

The quirk this protects: a new user's first report is only trusted when nearly every request
has a price. Real traffic names models many ways (Bedrock region profiles and vendor
prefixes, Vertex publisher paths, Groq's `openai/gpt-oss-120b`, the OpenAI SDK pointed at
Cerebras or Groq), and a request priced at the wrong provider is as wrong as an unpriced one.
Spec examples, Panther's semi-synthetic Bedrock log records and OTLP encoding examples are not
real traffic and are left out. Fixtures are read, never edited: envelopes are built in tmp_path.
"""

from __future__ import annotations

import json
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import FIXTURES, envelope, fixture_json, recorded_bodies
from genai_prices import Usage, calc_price

from pipelines.ingest import ingest_paths
from pipelines.paths import Home
from pipelines.warehouse import build, open_read_only

NO_TIME = "2026-03-06T12:00:00Z"  # cassettes record no time for these bodies
GENAI_PROVIDER = {"aws_bedrock": "aws", "azure_openai": "azure", "xai": "x-ai",
                  "together_ai": "together", "fireworks_ai": "fireworks"}
GENAI_CONTEXT = {"batch": {"processing": "batch"}, "flex": {"service_tier": "flex"},
                 "priority": {"service_tier": "priority"}}

# Each unpriced real request and why (no price is guessed for any of them). Cerebras' service
# tiers are a private preview with no published price: `priority` needs a dedicated endpoint
# (contract price) and nothing says what `flex` costs, so neither is priced at `default`'s price.
UNPRICED = {
    "chatcmpl-ea81aa8d-34f5-4f00-b07c-3b5cb5495194":
        "no flex-tier price for cerebras/gemma-4-31b",
    "chatcmpl-1b9a2290-f143-4a75-a842-4f63c04156ff":
        "no priority-tier price for cerebras/gemma-4-31b",
}
# The Claude 2 InvokeModel body has no time of its own; its cassette's response `Date` header
# (/work/shared/samples/anthropic/messages_via_bedrock_invoke_model.cassette.yaml) has it.
CLAUDE_V2_RECORDED_AT = "2025-02-06T05:12:40Z"
# Requests both price where the two totals differ by more than 1e-6 relative, and why: none on
# these samples (28 compared). Not compared: OpenRouter requests that carry their bill, and the
# five priced only by curated rows genai-prices 0.2.3 has no price for (Kimi K2 Thinking, GLM 4.7
# Flash and Claude 2 on Bedrock, x-ai/grok-4 on OpenRouter).
DIFFERENCES: dict[str, tuple] = {}


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def _sample_files(tmp_path: Path) -> dict[str, list[Path]]:
    """Every real recorded request, as the files a user would ingest, by source."""
    openai = [recorded_bodies("openai/chat_completions_gpt-4o-mini.response.json")[0],
              recorded_bodies("openai/responses_api_gpt-5.4_reasoning.response.json")[0],
              *recorded_bodies("openai/responses_api_web_search_cached_reasoning.responses.json")]
    anthropic = [
        envelope(body, request_id=None, started_at=NO_TIME)
        for name in ("messages_cache_write_read_real_api",
                     "messages_on_bedrock_invoke_cache_real_api")
        for body in recorded_bodies(f"anthropic/{name}.responses.json")
    ]
    bedrock = [envelope(recorded_bodies("bedrock/converse.response.json")[0],
                        request_id="converse-titan", started_at=NO_TIME,
                        request={"modelId": "amazon.titan-text-lite-v1"}),
               envelope(recorded_bodies("bedrock/messages_via_bedrock_invoke_model.response.json")[0],
                        request_id=None, started_at=CLAUDE_V2_RECORDED_AT,
                        request={"modelId": "anthropic.claude-v2"})]
    for index, entry in enumerate(fixture_json(
            "bedrock/converse_cache_read_write_real_api.responses.json")):
        model_id = unquote(entry["request_uri"].split("/model/")[1].split("/")[0])
        bedrock.append(envelope(entry["response"], request_id=f"converse-cache-{index}",
                                started_at=NO_TIME, request={"modelId": model_id}))
    gemini = [
        envelope(body, request_id=None, started_at=NO_TIME)
        for name in ("vertex_generateContent_gemini-2.5-flash_thinking.response.json",
                     "vertex_generateContent_vertexai-sdk.response.json",
                     "gemini_api_toolUsePromptTokenCount.responses.json",
                     "gemini_cachedContentTokenCount_video.responses.json")
        for body in recorded_bodies(f"gemini/{name}")
    ]
    openrouter = [
        envelope(body, request_id=None, started_at=NO_TIME)
        for name in ("chat_completions_usage_cost_web_search", "chat_completions_usage_byok",
                     "chat_completions_usage_cached_reasoning")
        for body in recorded_bodies(f"openrouter/{name}.responses.json")
    ]
    captures = FIXTURES / "captures"
    return {
        "openai": [_write(tmp_path / "openai.jsonl", openai),
                   captures / "openai_compatible_endpoints.jsonl"],
        "anthropic": [_write(tmp_path / "anthropic.jsonl", anthropic)],
        "bedrock": [_write(tmp_path / "bedrock.jsonl", bedrock),
                    captures / "bedrock_converse_families.jsonl"],
        "gemini": [_write(tmp_path / "gemini.jsonl", gemini), captures / "gemini.jsonl"],
        "openrouter": [_write(tmp_path / "openrouter.jsonl", openrouter)],
        "litellm": [FIXTURES / "litellm/spend_logs_payload.json",
                    FIXTURES / "litellm/standard_logging_payload.json"],
    }


@pytest.fixture(scope="module")
def priced(tmp_path_factory) -> list[dict]:
    tmp_path = tmp_path_factory.mktemp("coverage")
    home = Home(tmp_path / "home")
    for source, paths in _sample_files(tmp_path).items():
        for result in ingest_paths(paths, home, source=source):
            assert result.records_quarantined == 0, result
    build(home)
    con = open_read_only(home)
    cursor = con.execute("select * from requests order by source, request_id")
    columns = [column[0] for column in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    con.close()
    return rows


def test_priced_share_of_every_real_sample(priced):
    unpriced = {row["request_id"]: row["unpriced_reason"] for row in priced if not row["is_priced"]}
    assert unpriced == UNPRICED
    assert len(priced) == 38
    # 36 of 38 real requests priced (94.7%): below the 97% goal; the two above have no public
    # price, and with 38 requests 97% allows at most one unpriced.
    assert len(priced) - len(unpriced) == 36


@pytest.mark.parametrize(("request_id", "provider", "model", "cost_usd"), [
    # Bedrock $0.60 / $2.50 per MTok: 92 in, 75 out; then 188 in, 11 out.
    ("test_bedrock_moonshotai_tool_call#1", "aws_bedrock", "kimi-k2-thinking", "0.0002427"),
    ("test_bedrock_moonshotai_tool_call#2", "aws_bedrock", "kimi-k2-thinking", "0.0001403"),
    # Bedrock $0.07 / $0.40: 21 in, 15 out.
    ("test_bedrock_zai_native_output#1", "aws_bedrock", "glm-4.7-flash", "0.00000747"),
    # Claude 2.0 on Bedrock, $8 / $24: 14 in, 10 out.
    ("msg_bdrk_01NCxHHwwdtMc7wioSxo2wBC", "aws_bedrock", "claude-v2", "0.000352"),
    # OpenRouter x-ai/grok-4 without usage.cost, at OpenRouter's $3 / $0.75 cached / $15: 687
    # prompt tokens of which 682 cached, 240 completion tokens (165 reasoning, billed as output).
    ("gen-1759509677-MpJiZ3ZkiGU3lnbM8QKo", "openrouter", "grok-4", "0.0041265"),
])
def test_curated_rows_price_the_models_no_database_had(priced, request_id, provider, model,
                                                       cost_usd):
    row = {row["request_id"]: row for row in priced}[request_id]
    assert (row["provider"], row["model"], row["price_source"]) == (provider, model, "curated")
    assert row["cost_usd"] == Decimal(cost_usd)


def test_openai_sdk_pointed_at_other_providers_bills_there(priced):
    by_id = {row["request_id"]: row for row in priced}
    groq = by_id["chatcmpl-6f2d9825-b5ca-465c-8762-b7cde23623fa"]
    assert (groq["provider"], groq["model"]) == ("groq", "gpt-oss-120b")
    # genai-prices 0.2.3, Groq gpt-oss-120b: $0.15 input, $0.60 output per 1M tokens.
    assert groq["cost_usd"] == Decimal("170") * Decimal("0.15e-6") + Decimal("85") * Decimal(
        "0.60e-6")
    cerebras = by_id["chatcmpl-5af19e85-b8e3-4836-8486-5f2b0b250c8d"]
    assert (cerebras["provider"], cerebras["cost_usd"]) == ("cerebras", Decimal("0.00004735"))


def test_llmcost_and_genai_prices_agree_request_by_request(priced):
    """Where both price a request, totals agree within 1e-6 relative unless explained."""
    compared, differing = 0, {}
    for row in priced:
        if not row["is_priced"] or row["price_source"] == "billed":
            continue
        usage = Usage(
            input_tokens=row["input_tokens"], cache_read_tokens=row["cache_read_input_tokens"],
            cache_write_tokens=row["cache_creation_input_tokens"],
            cache_write_1h_tokens=row["cache_creation_1h_input_tokens"],
            output_tokens=row["output_tokens"], web_searches=row["web_search_calls"])
        try:
            theirs = calc_price(
                usage, row["model_raw"],
                provider_id=GENAI_PROVIDER.get(row["provider"], row["provider"]),
                genai_request_timestamp=row["occurred_at"].astimezone(UTC),
                price_context=GENAI_CONTEXT.get(row["service_tier"])).total_price
        except LookupError:
            continue
        compared += 1
        mine = row["cost_usd"]
        if abs(mine - theirs) > Decimal("1e-6") * max(abs(mine), abs(theirs)):
            differing[row["request_id"]] = (mine, theirs.quantize(Decimal("1e-12")))
    assert compared == 28
    assert differing == DIFFERENCES
