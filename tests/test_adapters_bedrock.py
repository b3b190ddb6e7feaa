"""AWS Bedrock -> canonical requests: invocation logs and Converse / InvokeModel responses.

Quirks protected here:
- Bedrock input counts EXCLUDE prompt-cache reads and writes (invocation log
  ``input.inputTokenCount``, Converse ``usage.inputTokens``, Anthropic ``usage.input_tokens``):
  the canonical input is input + cache read + cache write (real Converse: 13 + 5 + 1504 + 0 =
  1522 = totalTokens);
- the real Converse wire spells each cache count twice (``cacheReadInputTokens`` and
  ``cacheReadInputTokenCount``): one is read, never both (no 3008-token double count);
- the 1-hour part of cache writes is only in the body (Converse ``cacheDetails[ttl=1h]``,
  Anthropic ``cache_creation.ephemeral_1h_input_tokens``, in ``message_start`` when streamed);
- model ids come as foundation ids, cross-region profiles (``us.``/``eu.``/``global.``), model
  ARNs, and application-inference-profile ARNs that do not name the model at all;
- Claude on Bedrock is billed by AWS at AWS's prices (provider ``aws_bedrock``), regional rate;
- Panther's invocation-log test records (semi-synthetic) carry a Panther-normalised naive
  timestamp "2025-05-15 14:17:22.000000000": quarantined like every naive time. With the
  timestamp in the raw RFC 3339 form they yield: 0-token Converse (totalTokens 2000 ignored),
  repeated request ids as duplicates, ListModels as not a model invocation, and a guardrail
  that blocked the input (no counts at all) as a 0-token request;
- S3 delivers invocation logs as ``.json.gz`` files; CloudWatch dumps wrap records as strings.
"""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from conftest import (
    envelope,
    fixture_path,
    ingest,
    quarantine_rows,
    recorded_bodies,
    request_row,
    write_jsonl,
)

from pipelines import warehouse
from pipelines.detect import detect
from pipelines.paths import Home

MTOK = Decimal(1_000_000)
# aws_bedrock/claude-sonnet-4-5/standard/0/2025-09-29 (pricing/prices.csv): the regional rate,
# Anthropic list x1.1 (foundation ids and us./eu. profiles).
SONNET_45_INPUT = Decimal("3.3")
SONNET_45_CACHE_READ = Decimal("0.33")
SONNET_45_CACHE_WRITE_5M = Decimal("4.125")
SONNET_45_CACHE_WRITE_1H = Decimal("6.6")
SONNET_45_OUTPUT = Decimal("16.5")
# aws_bedrock/claude-haiku-4-5/standard/0/2025-10-15
HAIKU_45_INPUT = Decimal("1.1")
HAIKU_45_CACHE_READ = Decimal("0.11")
HAIKU_45_CACHE_WRITE_5M = Decimal("1.375")
HAIKU_45_CACHE_WRITE_1H = Decimal("2.2")
HAIKU_45_OUTPUT = Decimal("5.5")

CONVERSE_CACHE_FILE = "bedrock/converse_cache_read_write_real_api.responses.json"
CONVERSE_TITAN_FILE = "bedrock/converse.response.json"
PANTHER_FILE = "bedrock/panther_invocation_log_test_records.jsonl"
INVOKE_CACHE_FILE = "bedrock/messages_on_bedrock_invoke_cache_real_api.responses.json"
INVOKE_CLAUDE_2_FILE = "bedrock/messages_via_bedrock_invoke_model.response.json"

SONNET_45_PROFILE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_45_FOUNDATION = "anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_45_PROFILE = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
APP_PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"
PANTHER_ID = "bb98d9a8-bd9a-47ca-976b-f165ef1f8b67"
PANTHER_GUARDRAIL_ID = "ba78ac1f-5ea4-4e2a-a936-92f7e13c96c4"

# Converse, real wire: inputTokens 13, cache read 1504 (spelled twice), cache write 0, output 5.
CONVERSE_COST = (13 * SONNET_45_INPUT + 1504 * SONNET_45_CACHE_READ
                 + 5 * SONNET_45_OUTPUT) / MTOK
METADATA = {"team": "search", "feature": "rerank", "environment": "prod",
            "session_id": "s-1", "user_id": "u-1"}


def converse_body(**usage) -> dict:
    body = recorded_bodies(CONVERSE_CACHE_FILE)[0]
    for name, value in usage.items():
        if value is None:
            body["usage"].pop(name)
        else:
            body["usage"][name] = value
    return body


def converse_capture(request_id: str, model_id: str, body: dict | None = None,
                     **extra) -> dict:
    return envelope(body or converse_body(), request_id=request_id,
                    started_at="2025-11-20T10:00:00Z", request={"modelId": model_id}, **extra)


def invocation_log(request_id: str, model_id: str, body, *, operation: str = "InvokeModel",
                   counts: dict | None = None, **extra) -> dict:
    """An invocation-log record around a real response body, counts as the body reports."""
    record = {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
        "timestamp": "2025-11-21T09:30:00Z", "accountId": "123456789012",
        "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/rag-service/i-0abc"},
        "region": "eu-central-1", "requestId": request_id, "operation": operation,
        "modelId": model_id,
        "input": {"inputContentType": "application/json", **(counts or {}).get("input", {})},
        "output": {"outputContentType": "application/json", "outputBodyJson": body,
                   **(counts or {}).get("output", {})},
    }
    record.update(extra)
    return record


def anthropic_counts(body: dict) -> dict:
    usage = body["usage"]
    return {"input": {"inputTokenCount": usage["input_tokens"],
                      "cacheReadInputTokenCount": usage["cache_read_input_tokens"],
                      "cacheWriteInputTokenCount": usage["cache_creation_input_tokens"]},
            "output": {"outputTokenCount": usage["output_tokens"]}}


def as_stream(body: dict) -> list[dict]:
    """The InvokeModelWithResponseStream event array for a real Messages body (the shape of
    AWS's logs: message_start carries the input usage, message_stop the invocation metrics)."""
    usage = body["usage"]
    start = {key: value for key, value in body.items() if key not in ("content", "usage")}
    start["usage"] = {**usage, "output_tokens": 1}
    text = body["content"][0]["text"]
    return [
        {"type": "message_start", "message": {**start, "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": usage["output_tokens"]}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": usage["input_tokens"], "outputTokenCount": usage["output_tokens"],
            "invocationLatency": 2345, "firstByteLatency": 300,
            "cacheReadInputTokenCount": usage["cache_read_input_tokens"],
            "cacheWriteInputTokenCount": usage["cache_creation_input_tokens"]}},
    ]


def panther_records(timestamp: str | None = None) -> list[dict]:
    lines = fixture_path(PANTHER_FILE).read_text().splitlines()
    records = [json.loads(line) for line in lines]
    if timestamp is not None:
        for record in records:
            record["timestamp"] = timestamp
    return records


@pytest.fixture(scope="module")
def bedrock_home(tmp_path_factory) -> Home:
    tmp = tmp_path_factory.mktemp("bedrock")
    home = Home(tmp / "home")
    read_body, write_body = recorded_bodies(INVOKE_CACHE_FILE)
    one_hour = copy.deepcopy(write_body)
    one_hour["usage"]["cache_creation"] = {"ephemeral_5m_input_tokens": 956,
                                           "ephemeral_1h_input_tokens": 1000}
    details = converse_body(cacheWriteInputTokens=1956, cacheWriteInputTokenCount=1956)
    details["usage"]["cacheDetails"] = [{"ttl": "1h", "inputTokens": 1000},
                                        {"ttl": "5m", "inputTokens": 956}]
    captures = [
        converse_capture("converse-profile", SONNET_45_PROFILE, metadata=METADATA),
        converse_capture("converse-foundation", SONNET_45_FOUNDATION),
        converse_capture("converse-global", "global." + SONNET_45_FOUNDATION),
        converse_capture("converse-arn", "arn:aws:bedrock:us-east-1::foundation-model/"
                         + SONNET_45_FOUNDATION),
        converse_capture("converse-only-count-spelling", SONNET_45_PROFILE,
                         converse_body(cacheReadInputTokens=None, cacheWriteInputTokens=None)),
        converse_capture("converse-only-tokens-spelling", SONNET_45_PROFILE,
                         converse_body(cacheReadInputTokenCount=None,
                                       cacheWriteInputTokenCount=None)),
        converse_capture("converse-1h", SONNET_45_PROFILE, details),
        converse_capture("converse-flex", SONNET_45_PROFILE, {
            **converse_body(), "serviceTier": {"type": "flex"}}),
        converse_capture("converse-default-tier", SONNET_45_PROFILE, {
            **converse_body(), "serviceTier": {"type": "default"}}),
        converse_capture("converse-titan", "amazon.titan-text-lite-v1",
                         recorded_bodies(CONVERSE_TITAN_FILE)[0]),
        converse_capture("converse-app-profile", APP_PROFILE_ARN),
        # InvokeModel with an Anthropic Messages body: the msg_bdrk_ id is the request id.
        envelope(read_body, request_id=None, started_at="2025-11-20T11:00:00Z",
                 request={"modelId": HAIKU_45_PROFILE}),
        envelope(write_body, request_id=None, started_at="2025-11-20T11:01:00Z",
                 request={"modelId": HAIKU_45_PROFILE}, provider="aws_bedrock"),
        envelope(recorded_bodies(INVOKE_CLAUDE_2_FILE)[0], request_id=None,
                 started_at="2025-11-20T11:03:00Z", request={"modelId": "anthropic.claude-v2"}),
        envelope(None, request_id="converse-throttled", started_at="2025-11-20T11:02:00Z",
                 request={"modelId": SONNET_45_PROFILE}, status="failure",
                 error={"Error": {"Code": "ThrottlingException"}}),
        # Invocation-log records around real bodies.
        invocation_log("log-invoke", HAIKU_45_PROFILE, write_body,
                       counts=anthropic_counts(write_body),
                       requestMetadata={"team": "rag", "feature": "answers"}),
        invocation_log("log-invoke-1h", HAIKU_45_PROFILE, one_hour,
                       counts=anthropic_counts(one_hour)),
        invocation_log("log-stream", HAIKU_45_PROFILE, as_stream(one_hour),
                       operation="InvokeModelWithResponseStream",
                       counts=anthropic_counts(one_hour)),
        invocation_log("log-app-profile", APP_PROFILE_ARN, write_body,
                       counts=anthropic_counts(write_body)),
        invocation_log("log-converse", SONNET_45_PROFILE, converse_body(), operation="Converse",
                       counts={"input": {"inputTokenCount": 13, "cacheReadInputTokenCount": 1504,
                                         "cacheWriteInputTokenCount": 0},
                               "output": {"outputTokenCount": 5}}),
        invocation_log("log-failed", HAIKU_45_PROFILE, None, errorCode="ResourceNotFoundException"),
        invocation_log("log-embedding", "amazon.titan-embed-text-v2:0", {"embedding": [0.1, 0.2]},
                       counts={"input": {"inputTokenCount": 12}}),
        invocation_log("log-latency-optimized", SONNET_45_PROFILE, converse_body(),
                       operation="Converse", performanceConfig={"latency": "optimized"},
                       counts={"input": {"inputTokenCount": 13, "cacheReadInputTokenCount": 1504},
                               "output": {"outputTokenCount": 5}}),
    ]
    (result,) = ingest(home, write_jsonl(tmp / "bedrock.jsonl", captures), "bedrock")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (
        len(captures), len(captures), 0)
    warehouse.build(home)
    return home


def test_converse_input_excludes_cache_and_both_spellings_count_once(bedrock_home):
    """Trap: cacheReadInputTokens and cacheReadInputTokenCount are the same 1504 tokens."""
    row = request_row(bedrock_home, "converse-profile")
    assert (row["provider"], row["api_surface"]) == ("aws_bedrock", "Converse")
    assert (row["model_raw"], row["model"]) == (SONNET_45_PROFILE, "claude-sonnet-4-5")
    assert row["input_tokens"] == 13 + 1504 + 0 == 1517
    assert row["cache_read_input_tokens"] == 1504
    assert row["cache_creation_input_tokens"] == 0
    assert row["uncached_input_tokens"] == 13
    assert row["output_tokens"] == 5
    assert row["input_tokens"] + row["output_tokens"] == 1522  # totalTokens
    assert row["latency_ms"] == 2014  # metrics.latencyMs
    assert row["price_id"] == "aws_bedrock/claude-sonnet-4-5/standard/0/2025-09-29"
    assert row["cost_usd"] == CONVERSE_COST == Decimal("0.00062172")


@pytest.mark.parametrize("request_id", ["converse-only-count-spelling",
                                        "converse-only-tokens-spelling"])
def test_either_cache_spelling_alone_is_read(bedrock_home, request_id):
    row = request_row(bedrock_home, request_id)
    assert (row["input_tokens"], row["cache_read_input_tokens"]) == (1517, 1504)
    assert row["cost_usd"] == CONVERSE_COST


def test_disagreeing_cache_spellings_are_quarantined(home, tmp_path):
    body = converse_body(cacheReadInputTokenCount=1500)
    path = write_jsonl(tmp_path / "bad.jsonl", [converse_capture("c", SONNET_45_PROFILE, body)])
    (result,) = ingest(home, path, "bedrock")
    assert result.records_quarantined == 1
    warehouse.build(home)
    (rejected,) = quarantine_rows(home)
    assert rejected["reason_code"] == "inconsistent_tokens"
    assert "cacheReadInputTokens (1504)" in rejected["reason"]


@pytest.mark.parametrize("request_id", ["converse-foundation", "converse-global", "converse-arn",
                                        "log-converse"])
def test_foundation_id_profiles_and_arns_price_identically(bedrock_home, request_id):
    row = request_row(bedrock_home, request_id)
    assert row["model"] == "claude-sonnet-4-5"
    assert row["price_id"] == "aws_bedrock/claude-sonnet-4-5/standard/0/2025-09-29"
    assert row["cost_usd"] == CONVERSE_COST


def test_model_arn_is_kept_in_tags(bedrock_home):
    row = request_row(bedrock_home, "converse-arn")
    assert row["model_raw"] == SONNET_45_FOUNDATION
    assert row["tags"]["aws.model_arn"].endswith("foundation-model/" + SONNET_45_FOUNDATION)


def test_converse_cache_details_give_the_one_hour_split(bedrock_home):
    row = request_row(bedrock_home, "converse-1h")
    assert row["input_tokens"] == 13 + 1504 + 1956
    assert (row["cache_creation_input_tokens"], row["cache_creation_1h_input_tokens"],
            row["cache_creation_5m_input_tokens"]) == (1956, 1000, 956)
    write_cost = (956 * SONNET_45_CACHE_WRITE_5M + 1000 * SONNET_45_CACHE_WRITE_1H) / MTOK
    assert row["cache_write_cost_usd"] == write_cost == Decimal("0.0105435")
    assert row["cost_usd"] == CONVERSE_COST + write_cost


def test_anthropic_invoke_model_body_is_bedrock_billed(bedrock_home):
    read = request_row(bedrock_home, "msg_bdrk_01H8tV2orbi5sQVskxVthgZy")
    write = request_row(bedrock_home, "msg_bdrk_01PwGjqAJE4R8ZBE8KCtMEjG")
    for row in (read, write):
        assert (row["provider"], row["api_surface"]) == ("aws_bedrock", "InvokeModel")
        assert (row["model_raw"], row["model"]) == (HAIKU_45_PROFILE, "claude-haiku-4-5")
        assert row["price_id"] == "aws_bedrock/claude-haiku-4-5/standard/0/2025-10-15"
    assert (read["input_tokens"], read["cache_read_input_tokens"], read["output_tokens"]) == (
        3 + 9511, 9511, 1944)
    assert read["cost_usd"] == (3 * HAIKU_45_INPUT + 9511 * HAIKU_45_CACHE_READ
                                + 1944 * HAIKU_45_OUTPUT) / MTOK == Decimal("0.01174151")
    assert (write["input_tokens"], write["cache_creation_input_tokens"]) == (3 + 9511 + 1956, 1956)
    assert write["cost_usd"] == WRITE_BODY_COST == Decimal("0.00398101")


WRITE_BODY_COST = (3 * HAIKU_45_INPUT + 9511 * HAIKU_45_CACHE_READ
                   + 1956 * HAIKU_45_CACHE_WRITE_5M + 44 * HAIKU_45_OUTPUT) / MTOK
ONE_HOUR_COST = (3 * HAIKU_45_INPUT + 9511 * HAIKU_45_CACHE_READ + 956 * HAIKU_45_CACHE_WRITE_5M
                 + 1000 * HAIKU_45_CACHE_WRITE_1H + 44 * HAIKU_45_OUTPUT) / MTOK


def test_invocation_log_counts_and_request_metadata(bedrock_home):
    row = request_row(bedrock_home, "log-invoke")
    assert row["occurred_at"] == datetime(2025, 11, 21, 9, 30, tzinfo=UTC)
    assert (row["provider"], row["api_surface"], row["model"]) == (
        "aws_bedrock", "InvokeModel", "claude-haiku-4-5")
    assert (row["input_tokens"], row["cache_read_input_tokens"],
            row["cache_creation_input_tokens"], row["output_tokens"]) == (11470, 9511, 1956, 44)
    assert row["cost_usd"] == WRITE_BODY_COST
    assert (row["team"], row["feature"]) == ("rag", "answers")
    assert row["project"] == "123456789012"  # the AWS account
    assert row["tags"]["aws.identity_arn"] == (
        "arn:aws:sts::123456789012:assumed-role/rag-service/i-0abc")
    assert row["tags"]["aws.region"] == "eu-central-1"


@pytest.mark.parametrize("request_id", ["log-invoke-1h", "log-stream"])
def test_one_hour_cache_writes_from_the_log_body(bedrock_home, request_id):
    """The log's top level has no TTL split: the body's cache_creation (or the stream's
    message_start) carries it."""
    row = request_row(bedrock_home, request_id)
    assert (row["cache_creation_input_tokens"], row["cache_creation_1h_input_tokens"]) == (
        1956, 1000)
    assert row["cost_usd"] == ONE_HOUR_COST == Decimal("0.00480601")


def test_stream_latency_from_invocation_metrics(bedrock_home):
    row = request_row(bedrock_home, "log-stream")
    assert (row["api_surface"], row["latency_ms"]) == ("InvokeModelWithResponseStream", 2345)


def test_application_inference_profile_resolved_from_the_body(bedrock_home):
    row = request_row(bedrock_home, "log-app-profile")
    assert (row["model_raw"], row["model"]) == ("claude-haiku-4-5-20251001", "claude-haiku-4-5")
    assert row["tags"]["aws.model_arn"] == APP_PROFILE_ARN
    assert row["cost_usd"] == WRITE_BODY_COST


def test_application_inference_profile_without_model_is_unpriced(bedrock_home):
    """A Converse body does not say which model the profile routed to."""
    row = request_row(bedrock_home, "converse-app-profile")
    assert row["model_raw"] == APP_PROFILE_ARN
    assert row["is_priced"] is False
    assert row["unpriced_reason"] == f"no price for model aws_bedrock/{APP_PROFILE_ARN}"


def test_claude_2_is_priced_at_its_bedrock_price(bedrock_home):
    row = request_row(bedrock_home, "msg_bdrk_01NCxHHwwdtMc7wioSxo2wBC")
    # anthropic.claude-v2: the vendor prefix goes, the name keeps its -v2 (no :0 version).
    assert (row["model"], (row["input_tokens"], row["output_tokens"])) == ("claude-v2", (14, 10))
    # Curated aws_bedrock/claude-v2 row, $8 / $24 per 1M tokens: 14 * 8e-6 + 10 * 24e-6.
    assert (row["price_source"], row["cost_usd"]) == ("curated", Decimal("0.000352"))


def test_titan_is_priced_from_genai_prices(bedrock_home):
    """amazon.titan-text-lite-v1 has no curated row: genai-prices 0.2.3 prices it on Bedrock
    at $0.15 input / $0.20 output per 1M tokens."""
    row = request_row(bedrock_home, "converse-titan")
    assert (row["model"], (row["input_tokens"], row["output_tokens"])) == (
        "titan-text-lite-v1", (8, 10))
    assert row["price_id"] == (
        "genai-prices:0.2.3/aws_bedrock/titan-text-lite-v1/standard/0/2020-01-01")
    assert row["cost_usd"] == Decimal("0.0000032")  # 8 x 0.15e-6 + 10 x 0.20e-6


@pytest.mark.parametrize(("request_id", "tier"), [("converse-flex", "flex"),
                                                  ("log-latency-optimized", "latency_optimized")])
def test_non_standard_service_tiers_are_unpriced(bedrock_home, request_id, tier):
    row = request_row(bedrock_home, request_id)
    assert row["service_tier"] == tier
    assert row["unpriced_reason"] == f"no {tier}-tier price for aws_bedrock/claude-sonnet-4-5"


def test_default_service_tier_is_standard(bedrock_home):
    row = request_row(bedrock_home, "converse-default-tier")
    assert (row["service_tier"], row["cost_usd"]) == ("standard", CONVERSE_COST)


@pytest.mark.parametrize("request_id", ["converse-throttled", "log-failed"])
def test_failed_calls_load_with_zero_tokens(bedrock_home, request_id):
    row = request_row(bedrock_home, request_id)
    assert row["status"] == "failure"
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"]) == (0, 0, Decimal("0"))


def test_embedding_log_has_no_output(bedrock_home):
    row = request_row(bedrock_home, "log-embedding")
    assert (row["input_tokens"], row["output_tokens"], row["status"]) == (12, 0, "success")


def test_panther_records_with_naive_timestamps_are_quarantined(home):
    """Panther writes "2025-05-15 14:17:22.000000000" (no zone); AWS writes RFC 3339 "Z"."""
    path = fixture_path(PANTHER_FILE)
    assert detect(path).source == "bedrock"
    (result,) = ingest(home, path, "bedrock")
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (8, 0, 8)
    warehouse.build(home)
    codes = {row["reason_code"] for row in quarantine_rows(home)}
    assert codes == {"naive_timestamp"}


def test_panther_records_in_rfc3339(home, tmp_path):
    path = write_jsonl(tmp_path / "panther.jsonl", panther_records("2025-05-15T14:17:22Z"))
    (result,) = ingest(home, path, "bedrock")
    assert (result.records_read, result.records_loaded, result.records_duplicate,
            result.records_quarantined) == (8, 2, 4, 2)
    warehouse.build(home)
    outcome = {row["source_line"]: row["reason_code"] for row in quarantine_rows(home)}
    # Lines 2, 4, 6, 7 repeat line 1's requestId; 3 and 5 are ListModels.
    assert outcome == {2: "duplicate", 3: "unsupported_operation", 4: "duplicate",
                       5: "unsupported_operation", 6: "duplicate", 7: "duplicate"}
    # Line 1: counts 0 / 0 while the body's totalTokens says 2000 — the billed counts win.
    first = request_row(home, PANTHER_ID)
    assert first["source_line"] == 1
    assert (first["input_tokens"], first["output_tokens"]) == (0, 0)
    assert (first["model"], first["is_priced"], first["cost_usd"]) == (
        "claude-3-haiku", True, Decimal("0"))
    assert first["project"] == "111111111111"
    # Line 8: the input guardrail intervened, the model never ran, no counts were logged.
    blocked = request_row(home, PANTHER_GUARDRAIL_ID)
    assert (blocked["status"], blocked["input_tokens"], blocked["output_tokens"]) == (
        "success", 0, 0)


def test_panther_guardrail_converse_record(home, tmp_path):
    """Line 7 alone (its requestId made unique): stopReason guardrail_intervened, 0 tokens."""
    record = panther_records("2025-05-15T14:17:22Z")[6]
    record["requestId"] = "guardrail-converse"
    (result,) = ingest(home, write_jsonl(tmp_path / "one.jsonl", [record]), "bedrock")
    assert result.records_loaded == 1
    warehouse.build(home)
    row = request_row(home, "guardrail-converse")
    assert (row["input_tokens"], row["output_tokens"], row["latency_ms"]) == (0, 0, 249)


def test_s3_json_gz_invocation_log_file(home, tmp_path):
    body = recorded_bodies(INVOKE_CACHE_FILE)[1]
    records = [invocation_log(f"gz-{n}", HAIKU_45_PROFILE, body, counts=anthropic_counts(body))
               for n in range(3)]
    path = tmp_path / "AWSLogs" / "123456789012" / "BedrockModelInvocationLogs" / "part.json.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in records)))
    assert detect(path).source == "bedrock"
    (result,) = ingest(home, path, "bedrock")
    assert (result.records_read, result.records_loaded) == (3, 3)
    warehouse.build(home)
    assert request_row(home, "gz-2")["cost_usd"] == WRITE_BODY_COST


def test_cloudwatch_dump_is_one_request_per_event(home, tmp_path):
    body = recorded_bodies(INVOKE_CACHE_FILE)[1]
    events = [{"timestamp": 1763717400000, "message": json.dumps(
        invocation_log(f"cw-{n}", HAIKU_45_PROFILE, body, counts=anthropic_counts(body)))}
        for n in range(2)]
    events.append({"timestamp": 1763717400000, "message": "{truncated"})
    path = tmp_path / "filter-log-events.json"
    path.write_text(json.dumps({"events": events, "searchedLogStreams": []}))
    assert detect(path).source == "bedrock"
    (result,) = ingest(home, path, "bedrock")
    assert (result.records_loaded, result.records_quarantined) == (2, 1)
    warehouse.build(home)
    assert [request_row(home, f"cw-{n}")["source_item"] for n in range(2)] == [0, 1]
    (rejected,) = quarantine_rows(home)
    assert (rejected["source_item"], rejected["reason_code"]) == (2, "malformed_field")


def test_boto3_response_metadata_gives_the_request_id(home, tmp_path):
    """A boto3 converse() dict dumped as the envelope's response: its RequestId is the id."""
    body = converse_body()
    body["ResponseMetadata"] = {"RequestId": "5c0f0c5e-0000-4000-8000-000000000001",
                                "HTTPStatusCode": 200}
    capture = envelope(body, request_id=None, started_at="2025-11-20T10:00:00Z",
                       request={"modelId": SONNET_45_PROFILE})
    path = write_jsonl(tmp_path / "boto3.jsonl", [capture])
    (result,) = ingest(home, path, "bedrock")
    assert result.records_loaded == 1
    warehouse.build(home)
    row = request_row(home, "5c0f0c5e-0000-4000-8000-000000000001")
    assert row["cost_usd"] == CONVERSE_COST


def test_bare_converse_body_is_quarantined(home, tmp_path):
    """A Converse body names neither its time nor its model: only the envelope can."""
    path = write_jsonl(tmp_path / "bare.jsonl", [converse_body()])
    assert detect(path).source == "bedrock"
    (result,) = ingest(home, path, "bedrock")
    assert (result.records_loaded, result.records_quarantined) == (0, 1)
    warehouse.build(home)
    (rejected,) = quarantine_rows(home)
    assert rejected["reason_code"] == "missing_timestamp"
    assert "no model" in rejected["reason"]


def test_capture_envelope_with_provider_is_detected_as_bedrock(tmp_path):
    captures = [converse_capture("a", SONNET_45_PROFILE, provider="aws_bedrock"),
                envelope(recorded_bodies(CONVERSE_TITAN_FILE)[0], request_id="b",
                         started_at="2025-11-20T10:00:00Z",
                         request={"modelId": "amazon.titan-text-lite-v1"})]
    path = write_jsonl(tmp_path / "captures.jsonl", captures)
    assert detect(path).source == "bedrock"
