"""The demo workload must look exactly like the real wire formats, quirks included.

Anthropic's ``usage.input_tokens`` excludes cache reads and writes while LiteLLM and OpenAI
count them inside ``prompt_tokens``; LiteLLM SpendLogs store ``metadata`` and ``request_tags``
as JSON-encoded *strings*; OpenAI caches in 128-token steps from 1024. The generator must also
be byte-for-byte deterministic, and its deliberately broken records must be exactly the ones
it declares, or the pipeline's conservation tests would be checking against a moving target.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from pipelines.demo.generate import (
    FEATURES,
    MODELS,
    Call,
    Key,
    Texts,
    Workload,
    generate_demo,
    render_anthropic,
    render_spend_log,
)

END = date(2026, 11, 27)
DAYS = 14
REQUESTS = 3000


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("landing")
    return root, generate_demo(root, requests=REQUESTS, days=DAYS, end_date=END, seed=7)


def _lines(root: Path, source: str) -> list[tuple[str, str]]:
    return [(path.name, line) for path in sorted((root / source).glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def _parsed(root: Path, source: str) -> list[dict]:
    out = []
    for _, line in _lines(root, source):
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def test_same_seed_gives_identical_bytes(tmp_path, demo):
    root, summary = demo
    again = generate_demo(tmp_path / "again", requests=REQUESTS, days=DAYS, end_date=END, seed=7)
    assert again["files"] == summary["files"]
    for rel in summary["files"]:
        assert (tmp_path / "again" / rel).read_bytes() == (root / rel).read_bytes(), rel
    other = generate_demo(tmp_path / "other", requests=REQUESTS, days=DAYS, end_date=END, seed=8)
    assert any((tmp_path / "other" / rel).read_bytes() != (root / rel).read_bytes()
               for rel in other["files"])


def test_file_layout_one_file_per_day_and_shape(demo):
    root, summary = demo
    days = [(END - timedelta(days=d)).isoformat() for d in range(DAYS)]
    expected = sorted(
        [f"litellm/spend_logs_{d}.jsonl" for d in days]
        + [f"litellm/callbacks_{d}.jsonl" for d in days]
        + [f"openai/openai_{d}.jsonl" for d in days]
        + [f"anthropic/anthropic_{d}.jsonl" for d in days])
    assert summary["files"] == expected
    assert summary["files_written"] == 4 * DAYS
    assert all((root / rel).is_file() for rel in expected)
    assert summary["start_date"] == days[-1] and summary["end_date"] == END.isoformat()


def test_row_counts_per_source(demo):
    root, summary = demo
    assert sum(summary["requests_by_source"].values()) == REQUESTS
    for source in ("litellm", "openai", "anthropic"):
        lines = _lines(root, source)
        assert len(lines) == summary["records_per_source"][source]
        dups = sum(summary["bad_records_by_source"][source].get(k, 0)
                   for k in ("duplicate_same_file", "duplicate_cross_file"))
        assert len(lines) == summary["requests_by_source"][source] + dups
        bad = sum(summary["bad_records_by_source"][source].values())
        assert summary["expected_valid_records"][source] == len(lines) - bad
    share = {s: n / REQUESTS for s, n in summary["requests_by_source"].items()}
    assert share["litellm"] == pytest.approx(0.5, abs=0.06)
    assert share["openai"] == pytest.approx(0.25, abs=0.05)
    assert share["anthropic"] == pytest.approx(0.25, abs=0.05)
    callbacks = summary["records_by_shape"]["litellm/callback"]
    assert 0.05 < callbacks / summary["records_per_source"]["litellm"] < 0.16


def test_every_line_is_json_except_the_declared_malformed_ones(demo):
    root, summary = demo
    for source in ("litellm", "openai", "anthropic"):
        invalid = 0
        for _, line in _lines(root, source):
            try:
                json.loads(line)
            except ValueError:
                invalid += 1
        assert invalid == summary["bad_records_by_source"][source]["malformed_json"]
    # A broken first line would make readers sniff the whole file as one JSON document.
    for rel in summary["files"]:
        text = (root / rel).read_text(encoding="utf-8")
        if text:
            json.loads(text.split("\n", 1)[0])


def test_bad_records_are_a_few_dozen_and_add_up(demo):
    _, summary = demo
    totals = summary["bad_records"]
    assert 20 <= sum(totals.values()) <= 60
    assert all(totals[k] > 0 for k in totals), totals
    by_source = Counter()
    for counts in summary["bad_records_by_source"].values():
        by_source.update(counts)
    assert dict(by_source) == {k: v for k, v in totals.items() if v}
    assert "naive_timestamp" not in summary["bad_records_by_source"]["litellm"]


def _has_negative(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value < 0
    if isinstance(value, dict):
        return any(_has_negative(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_negative(v) for v in value)
    if isinstance(value, str) and value.startswith("{"):  # LiteLLM's JSON-string metadata
        return _has_negative(json.loads(value))
    return False


def test_no_negative_numbers_except_the_declared_ones(demo):
    root, summary = demo
    for source in ("litellm", "openai", "anthropic"):
        negative = sum(_has_negative(record) for record in _parsed(root, source))
        assert negative == summary["bad_records_by_source"][source]["negative_tokens"]


def test_cache_split_never_exceeds_the_prompt_or_goes_negative():
    workload = Workload(10, 1, END, seed=3)
    rng = workload.rng
    for _ in range(5000):
        feature = rng.choice(FEATURES)
        model = MODELS[rng.choice(feature.models)[0]]
        input_total = rng.randint(1, 60_000)
        prev = rng.choice((None, 0, rng.randint(0, input_total)))
        read, w5, w1 = workload._cache(model, feature, input_total, prev,
                                       rng.uniform(0, 4000), rng.random() < 0.5)
        assert min(read, w5, w1) >= 0
        assert read + w5 + w1 <= input_total


def test_request_ids_unique_except_declared_duplicates(demo):
    root, summary = demo
    ids = Counter()
    for record in _parsed(root, "litellm"):
        ids["litellm", record.get("request_id") or record.get("id")] += 1
    for source in ("openai", "anthropic"):
        for record in _parsed(root, source):
            rid = record.get("request_id") or record.get("response", record).get("id")
            ids[source, rid] += 1
    for source in ("litellm", "openai", "anthropic"):
        declared = summary["bad_records_by_source"][source]
        repeats = sum(n - 1 for (s, rid), n in ids.items() if s == source and rid and n > 1)
        assert repeats == declared.get("duplicate_same_file", 0) + declared.get(
            "duplicate_cross_file", 0)
        missing = sum(n for (s, rid), n in ids.items() if s == source and rid is None)
        assert missing == declared.get("missing_request_id", 0)


def test_litellm_spend_logs_store_metadata_and_tags_as_json_strings(demo):
    root, _ = demo
    spend_logs = [json.loads(line) for name, line in _lines(root, "litellm")
                  if name.startswith("spend_logs_") and _is_json(line)]
    assert spend_logs
    anthropic_cached = 0
    for row in spend_logs:
        assert isinstance(row["metadata"], str) and isinstance(row["request_tags"], str)
        tags = json.loads(row["request_tags"])
        assert any(t.startswith("feature:") for t in tags)
        assert any(t.startswith("env:") for t in tags)
        metadata = json.loads(row["metadata"])
        assert metadata["user_api_key_team_id"] == row["team_id"]
        assert {"user_api_key_alias", "user_api_key_user_id", "usage_object"} <= set(metadata)
        assert len(row["api_key"]) == 64 and int(row["api_key"], 16) >= 0
        datetime.strptime(row["startTime"], "%Y-%m-%d %H:%M:%S.%f")  # naive UTC text
        assert row["cache_hit"] == "None" and row["cache_key"] == "Cache OFF"
        usage = metadata["usage_object"]
        if row["custom_llm_provider"] == "anthropic" and usage and usage.get(
                "cache_read_input_tokens"):
            # LiteLLM folds Anthropic cache reads AND writes into prompt_tokens.
            assert usage["prompt_tokens"] >= (usage["cache_read_input_tokens"]
                                              + usage["cache_creation_input_tokens"])
            anthropic_cached += 1
    assert anthropic_cached > 0


def test_litellm_callbacks_use_real_objects_and_epoch_seconds(demo):
    root, _ = demo
    callbacks = [json.loads(line) for name, line in _lines(root, "litellm")
                 if name.startswith("callbacks_") and _is_json(line)]
    assert callbacks
    for row in callbacks:
        assert isinstance(row["metadata"], dict) and isinstance(row["request_tags"], list)
        assert isinstance(row["startTime"], float)
        assert "response_cost" in row and "spend" not in row


def test_anthropic_input_tokens_exclude_cache(demo):
    root, _ = demo
    reads = 0
    for record in _parsed(root, "anthropic"):
        usage = record.get("response", {}).get("usage")
        if not usage or not isinstance(usage.get("input_tokens"), int):
            continue
        split = usage["cache_creation"]
        assert usage["cache_creation_input_tokens"] == (split["ephemeral_5m_input_tokens"]
                                                        + split["ephemeral_1h_input_tokens"])
        if usage["cache_read_input_tokens"] > usage["input_tokens"]:
            reads += 1  # only possible because input_tokens leaves the cache out
    assert reads > 0


def test_anthropic_render_subtracts_cache_from_input_tokens():
    feature = next(f for f in FEATURES if f.name == "support-bot")
    call = Call(
        source="anthropic", shape="envelope", api="messages", feature=feature, env="prod",
        key=Key("support-prod", "0" * 64, "svc-support"), user_id="cust_00001",
        session_id=None, trace_id=None, model=MODELS["claude-sonnet-4-5"],
        model_id_raw="claude-sonnet-4-5-20250929", request_model="claude-sonnet-4-5",
        input_total=10_000, cache_read=8_000, cache_w5m=1_200, cache_w1h=300, output=250,
        reasoning=0, web_search=0, tier="standard", status="success", error=None,
        request_id="req_011Ctest", response_id="msg_01test", prev_response_id=None, turn=0,
        last_turn=True, prompt_idx=0, special=None, ignore_cache=False, ttl_1h=True,
        t_us=1_795_000_000_000_000, latency_us=900_000, ttft_us=300_000, day=0,
    )
    usage = render_anthropic(call, Texts(), None)["response"]["usage"]
    assert usage["input_tokens"] == 500
    assert usage["cache_read_input_tokens"] == 8_000
    assert usage["cache_creation_input_tokens"] == 1_500
    assert usage["cache_creation"] == {"ephemeral_5m_input_tokens": 1_200,
                                       "ephemeral_1h_input_tokens": 300}
    # The same call through LiteLLM: cache inside prompt_tokens, TTL split in the details.
    call.source, call.shape = "litellm", "spend_log"
    row = render_spend_log(call)
    lite = json.loads(row["metadata"])["usage_object"]
    assert row["prompt_tokens"] == lite["prompt_tokens"] == 10_000
    assert lite["prompt_tokens_details"]["cached_tokens"] == 8_000
    assert lite["prompt_tokens_details"]["cache_creation_token_details"][
        "ephemeral_1h_input_tokens"] == 300


def test_openai_cached_tokens_come_in_128_token_steps_from_1024(demo):
    root, _ = demo
    cached = 0
    for record in _parsed(root, "openai"):
        body = record.get("response", record if "usage" in record else None)
        if not body or "usage" not in body:
            continue
        usage = body["usage"]
        details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details")
        tokens = details["cached_tokens"]
        if tokens:
            cached += 1
            assert tokens >= 1024 and tokens % 128 == 0
    assert cached > 0


def test_envelopes_use_rfc3339_utc_except_declared_naive_ones(demo):
    root, summary = demo
    start = datetime.fromisoformat(summary["start_date"] + "T00:00:00+00:00")
    stop = datetime.fromisoformat(summary["end_date"] + "T00:00:00+00:00") + timedelta(days=1)
    for source in ("openai", "anthropic"):
        naive = bare = 0
        for record in _parsed(root, source):
            if "started_at" not in record:
                bare += 1
                continue
            if not record["started_at"].endswith("Z"):
                naive += 1
                continue
            started = datetime.fromisoformat(record["started_at"].replace("Z", "+00:00"))
            assert start <= started < stop
            assert {"team", "feature", "environment", "session_id", "user_id"} <= set(
                record["metadata"])
        assert naive == summary["bad_records_by_source"][source]["naive_timestamp"]
        assert bare == summary["traits"][source].get("bare_body", 0)
    assert summary["traits"]["openai"]["bare_body"] > 0


def test_workload_has_the_realistic_traits(demo):
    _, summary = demo
    traits = summary["traits"]
    assert traits["litellm"]["unpriced"] == round(REQUESTS * 0.003)
    assert traits["openai"]["long_context"] + traits["litellm"]["long_context"] >= 4
    failed = sum(t.get("failed", 0) for t in traits.values())
    assert 0.01 < failed / REQUESTS < 0.03
    assert traits["openai"]["tier_flex"] > 0 and traits["openai"]["tier_priority"] > 0
    assert traits["anthropic"]["tier_batch"] > 0
    assert traits["anthropic"]["cache_write_1h"] > 0
    assert traits["openai"]["reasoning"] > 0 and traits["openai"]["web_search"] > 0
    assert traits["anthropic"]["session_calls"] > 0


def _input_tokens(source: str, record: dict) -> int:
    if source == "litellm":
        value = record.get("prompt_tokens")
    else:
        usage = record.get("response", record).get("usage") or {}
        value = usage.get("prompt_tokens", usage.get("input_tokens", 0))
        if source == "anthropic" and isinstance(value, int):
            value += (usage.get("cache_read_input_tokens", 0)
                      + usage.get("cache_creation_input_tokens", 0))
    return value if isinstance(value, int) else 0


def test_long_context_requests_are_exactly_the_declared_handful(demo):
    root, summary = demo
    for source in ("litellm", "openai", "anthropic"):
        long_inputs = [n for n in (_input_tokens(source, r) for r in _parsed(root, source))
                       if n > 200_000]
        assert len(long_inputs) == summary["traits"][source].get("long_context", 0)
    long_models = Counter(r["model"] for r in _parsed(root, "litellm")
                          if _input_tokens("litellm", r) > 200_000)
    assert set(long_models) <= {"gemini-2.5-pro", "gpt-5.4", "gpt-5.4-2026-03-05"}


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True
