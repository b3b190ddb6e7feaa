"""genai-prices as a price source, the price audit, refused price files, unpriced models.

The quirks: a maintained database models prices the curated row format cannot say (DeepSeek's
off-peak hours, audio tokens, per-request fees) and must not be approximated silently; an
import of another version or a hand-edited file must stop before anything changes; two rows of
one source that cover the same day for the same key make a price ambiguous; a curated row that
disagrees with the maintained database must say why; an unpriced model must tell the user
which override row to add.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from pipelines import pricing, pricing_audit, pricing_genai
from pipelines.ingest import ingest_paths
from pipelines.paths import PRICING_DIR, Home
from pipelines.warehouse import build, open_read_only

SHIPPED = PRICING_DIR / "imported" / "genai-prices-0.2.3.csv"


def rows_by_id(path):
    return {row["price_id"]: row for row in pricing.read_price_file(path, "genai_prices")}


def test_import_reproduces_the_shipped_version_and_lists_what_it_skips(tmp_path):
    target, count, skipped = pricing_genai.import_genai_prices(tmp_path)
    assert target.name == "genai-prices-0.2.3.csv"
    assert target.read_bytes() == SHIPPED.read_bytes()  # shipped file = pinned package's data
    assert count == 4012
    rows = rows_by_id(target)
    nova = rows["genai-prices:0.2.3/aws_bedrock/nova-pro/standard/0/2020-01-01"]
    assert [nova[c] for c in pricing.TOKEN_PRICE_COLUMNS] == [
        Decimal("0.8"), Decimal("0.2"), Decimal("0.8"), Decimal("0.8"), Decimal("3.2")]
    # A cliff tier: the whole request above 128k input tokens at the tier price.
    long_context = rows["genai-prices:0.2.3/google/gemini-1.5-pro/standard/128000/2020-01-01"]
    assert (long_context["input_usd_per_mtok"], long_context["output_usd_per_mtok"]) == (
        Decimal("2.5"), Decimal("10"))
    # A batch variant that genai-prices dates from 2026-10-14: no batch row before it.
    batch = rows["genai-prices:0.2.3/openai/o3-mini/batch/0/2026-10-14"]
    assert batch["effective_from"] == date(2026, 10, 14)
    reasons = {(item.provider, item.model, item.what): item.reason for item in skipped}
    assert reasons[("deepseek", "deepseek-chat", "model")].startswith("time-of-day prices")
    assert ("openai", "gpt-4o-realtime-preview", "input_audio_mtok") in reasons
    assert target.with_suffix(".skipped.txt").read_text().count("\n") == len(skipped)


def test_another_genai_prices_version_is_refused():
    with pytest.raises(pricing.PriceFileError, match="genai-prices 0.3.0 is installed"):
        pricing_genai.check_version("0.3.0")
    assert pricing_genai.check_version("0.2.3") == "0.2.3"


def test_a_failed_import_changes_nothing(tmp_path):
    existing = tmp_path / "genai-prices-0.2.3.csv"
    existing.write_bytes(SHIPPED.read_bytes())
    with pytest.raises(pricing.PriceFileError, match="no model with per-token prices"):
        pricing_genai.import_genai_prices(tmp_path, providers=[], version="0.2.3")
    assert existing.read_bytes() == SHIPPED.read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["genai-prices-0.2.3.csv"]


def test_a_version_file_holding_another_versions_rows_is_refused(tmp_path):
    home = Home(tmp_path / "home").ensure()
    imported = home.pricing / "imported"
    imported.mkdir(parents=True)
    text = SHIPPED.read_text().replace("genai-prices:0.2.3/", "genai-prices:0.2.2/")
    (imported / "genai-prices-0.2.4.csv").write_text(text)
    with pytest.raises(pricing.PriceFileError,
                       match=r"genai-prices-0.2.4.csv:2: price_id genai-prices:0.2.2/.* is not "
                             "from this version"):
        pricing.load(home)


def test_a_version_file_of_the_wrong_shape_is_refused(tmp_path):
    home = Home(tmp_path / "home").ensure()
    imported = home.pricing / "imported"
    imported.mkdir(parents=True)
    (imported / "genai-prices-0.2.9.csv").write_text("model,price\ngpt-4o,2.5\n")
    with pytest.raises(pricing.PriceFileError, match="genai-prices-0.2.9.csv: missing columns"):
        pricing.load(home)


def test_overlapping_rows_of_one_source_are_refused_naming_both(tmp_path):
    home = Home(tmp_path / "home").ensure()
    header = (PRICING_DIR / "prices.csv").read_text().splitlines()[0]
    (home.pricing / "overrides.csv").write_text(
        header + "\n"
        "neg-1,openai,gpt-4o,standard,0,2026-01-01,2026-03-01,2,1,2,2,8,,contract,\n"
        "neg-2,openai,gpt-4o,standard,0,2026-02-01,,1.5,1,2,2,8,,contract,\n")
    with pytest.raises(pricing.PriceFileError) as raised:
        pricing.load(home)
    message = str(raised.value)
    assert "overlapping price rows for openai/gpt-4o (standard, min_input_tokens 0)" in message
    assert "neg-1 (" in message and "overrides.csv:2, from 2026-01-01 to 2026-03-01" in message
    assert "neg-2 (" in message and "overrides.csv:3, from 2026-02-01" in message


def test_every_curated_disagreement_with_genai_prices_has_a_note():
    differences = pricing_audit.audit()
    assert [d for d in differences if not d.note] == []
    assert len(differences) == 10


def test_a_new_disagreement_without_a_note_is_reported(tmp_path):
    notes = tmp_path / "audit_notes.csv"
    notes.write_text(",".join(pricing_audit.NOTE_COLUMNS) + "\n")
    differences = pricing_audit.audit(notes_path=notes)
    unexplained = {(d.price_id, d.component) for d in differences if not d.note}
    assert ("openai/gpt-4o/standard/0/2024-05-13", "output_usd_per_mtok") in unexplained
    assert len(unexplained) == 10


def test_unpriced_models_say_which_override_row_to_add(tmp_path):
    home = Home(tmp_path / "home")
    captures = [
        {"request_id": f"u{n}", "started_at": started, "metadata": {},
         "base_url": "https://api.cerebras.ai/v1",
         "response": {"id": f"chatcmpl-u{n}", "object": "chat.completion", "created": 0,
                      "model": "llama-3.3-70b-fast", "usage": {
                          "prompt_tokens": prompt, "completion_tokens": 10}}}
        for n, (started, prompt) in enumerate([("2026-02-01T08:00:00Z", 100),
                                               ("2026-02-03T09:30:00Z", 300)])
    ]
    path = tmp_path / "captures.jsonl"
    path.write_text("".join(json.dumps(capture) + "\n" for capture in captures))
    ingest_paths([path], home, source="openai")
    build(home)
    con = open_read_only(home)
    cursor = con.execute("select * from unpriced_models")
    columns = [column[0] for column in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    con.close()
    assert len(rows) == 1
    row = rows[0]
    assert (row["provider"], row["model_raw"], row["resolved_model"]) == (
        "cerebras", "llama-3.3-70b-fast", "llama-3.3-70b-fast")
    assert row["unpriced_reason"] == "no price for model cerebras/llama-3.3-70b-fast"
    assert (row["requests"], row["input_tokens"], row["output_tokens"]) == (2, 400, 20)
    assert row["first_seen_at"] == datetime.fromisoformat("2026-02-01T08:00:00+00:00")
    assert row["last_seen_at"] == datetime.fromisoformat("2026-02-03T09:30:00+00:00")
    assert row["closest_known_ids"][0] == "cerebras/llama-3.3-70b"
    assert row["override_row_template"] == (
        "override/cerebras/llama-3.3-70b-fast/standard/0/2026-02-01,cerebras,"
        "llama-3.3-70b-fast,standard,0,2026-02-01,,INPUT,CACHE_READ,CACHE_WRITE_5M,"
        "CACHE_WRITE_1H,OUTPUT,,SOURCE_URL,")


def test_openai_sdk_captures_are_billed_by_the_endpoint_or_an_unambiguous_model(tmp_path):
    """The OpenAI SDK pointed at Together (metadata.base_url), Gemini's OpenAI-compatible
    endpoint (no URL: gemini-* is Google's), Groq (-instant) or xAI (grok-*); an open-weight id
    with no URL stays openai, unpriced, rather than guessed."""
    def capture(request_id, model, **extra):
        return {"request_id": request_id, "started_at": "2026-02-01T08:00:00Z",
                "metadata": extra.pop("metadata", {}), **extra,
                "response": {"id": request_id, "object": "chat.completion", "created": 0,
                             "model": model,
                             "usage": {"prompt_tokens": 1000, "completion_tokens": 100}}}
    records = [
        capture("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                metadata={"base_url": "https://api.together.xyz/v1"}),
        capture("gemini", "gemini-2.0-flash"),
        capture("groq", "llama-3.1-8b-instant"),
        capture("xai", "grok-3"),
        capture("guess", "llama-3.3-70b"),
    ]
    path = tmp_path / "captures.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    home = Home(tmp_path / "home")
    ingest_paths([path], home, source="openai")
    build(home)
    con = open_read_only(home)
    found = {row[0]: row[1:] for row in con.execute(
        "select request_id, provider, model, cost_usd, unpriced_reason from requests").fetchall()}
    con.close()
    # genai-prices 0.2.3 per 1M tokens: Together $0.88 / $0.88, Gemini 2.0 Flash $0.10 / $0.40,
    # Groq Llama 3.1 8B $0.05 / $0.08, xAI Grok 3 $3 / $15.
    assert found == {
        "together": ("together_ai", "llama-3.3-70b-instruct-turbo", Decimal("0.000968"), None),
        "gemini": ("google", "gemini-2.0-flash", Decimal("0.00014"), None),
        "groq": ("groq", "llama-3.1-8b-instant", Decimal("0.000058"), None),
        "xai": ("xai", "grok-3", Decimal("0.0045"), None),
        "guess": ("openai", "llama-3.3-70b", None, "no price for model openai/llama-3.3-70b"),
    }


CANONICAL_IDS = [
    ("us.amazon.nova-pro-v1:0", "nova-pro"),
    ("amazon.nova-lite-v1:0", "nova-lite"),
    ("us.meta.llama3-3-70b-instruct-v1:0", "llama3-3-70b-instruct"),
    ("mistral.mistral-large-3-675b-instruct", "mistral-large-3-675b-instruct"),
    ("us.deepseek.r1-v1:0", "r1"),
    ("moonshot.kimi-k2-thinking", "kimi-k2-thinking"),
    ("zai.glm-4.7-flash", "glm-4.7-flash"),
    ("anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"),
    ("eu.anthropic.claude-3-opus-20240229-v1:0", "claude-3-opus"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("anthropic.claude-v2:1", "claude-v2"),
    ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
     "claude-3-haiku"),
    ("arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-micro-v1:0",
     "nova-micro"),
    ("arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3",
     "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3"),
    ("projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001",
     "gemini-2.0-flash"),
    ("publishers/anthropic/models/claude-sonnet-4@20250514", "claude-sonnet-4"),
    ("models/gemini-1.5-flash-latest", "gemini-1.5-flash"),
    ("anthropic/claude-3.5-sonnet:beta", "claude-3.5-sonnet"),
    ("meta-llama/llama-3.3-70b-instruct:free", "llama-3.3-70b-instruct"),
    ("openai/gpt-oss-120b", "gpt-oss-120b"),
    ("o3-mini-2025-01-31", "o3-mini"),
    ("deepseek-v3", "deepseek-v3"),
]


def test_raw_model_ids_resolve_to_canonical_ids():
    """Bedrock ids of every family, region / global. profiles and ARNs, Vertex and OpenRouter
    names: one vectorised query, as int_model_ids__resolved runs it."""
    from pipelines import db

    con = db.connect(":memory:")
    found = dict(con.execute("select raw, llm_model_canonical(raw) from unnest($raw) as t(raw)",
                             {"raw": [raw for raw, _ in CANONICAL_IDS]}).fetchall())
    con.close()
    assert found == dict(CANONICAL_IDS)
