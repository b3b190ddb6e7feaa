"""The savings simulations end to end: real ingest, real build, real DuckDB marts, on a
hand-built support-bot history whose every hit, write and dollar is computed by hand below.

What real caches do and the replay must honour: a response cache entry expires TTL seconds after
it was written (age == TTL is expired) and serves only its scope (team/feature); Anthropic's
prompt cache refreshes its 5-minute TTL on every hit, charges 1.25x input for writes (2x for
the 1-hour TTL) and 0.1x for reads, and is shared by every team on the same account;
simulated savings can never exceed what was actually spent.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipelines import warehouse
from pipelines.ingest import ingest_paths
from pipelines.paths import Home
from pipelines.savings import simulate
from pipelines.savings.embedder import get_embedder

SYSTEM = ("Policy line. " * 400).strip()  # 1,200 cl100k tokens (+4 framing = 1,204)
Q1, Q2 = "Question number 1?", "Question number 2?"  # 5 tokens each (+4 = 9)
ANSWER = "Sure, here is how."
INPUT = 1213  # the provider's count = 1,204 + 9: tokenizer estimates scale 1:1
IN, READ, WRITE, WRITE_1H, OUT = 3e-6, 0.3e-6, 3.75e-6, 6e-6, 15e-6  # sonnet-4-6 $/token
COST = INPUT * IN + 100 * OUT  # 0.005139 per request


def _record(request_id: str, second: int, question: str, team: str = "support") -> dict:
    start = 9 * 3600 + second
    stamp = f"2026-11-02T{start // 3600:02d}:{start % 3600 // 60:02d}:{start % 60:02d}Z"
    return {
        "request_id": request_id, "started_at": stamp, "ended_at": stamp,
        "metadata": {"team": team, "feature": "bot"},
        "request": {"model": "claude-sonnet-4-6", "max_tokens": 300, "temperature": 0,
                    "system": SYSTEM, "messages": [{"role": "user", "content": question}]},
        "response": {"id": f"msg_{request_id}", "type": "message", "role": "assistant",
                     "model": "claude-sonnet-4-6",
                     "content": [{"type": "text", "text": ANSWER}],
                     "usage": {"input_tokens": INPUT, "output_tokens": 100}},
    }


HISTORY = [
    _record("r1", 0, Q1),
    _record("r2", 60, Q2),
    _record("r3", 120, Q1),      # exact hit on r1 (age 120 < 600)
    _record("r4", 1200, Q1),     # r1's entry expired: a miss, new entry
    _record("r5", 1260, Q1),     # exact hit on r4
    _record("r6", 1290, Q1, team="growth"),  # another team: another response-cache scope
]


@pytest.fixture(scope="module")
def warehouse_con(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("LLMCOST_EMBEDDER", "hashing-char3_5-256")
    root = tmp_path_factory.mktemp("savings")
    home = Home(root / "home")
    home.ensure()
    (home.root / "savings.toml").write_text(
        "[cache]\nttl_seconds = 600\nscope = \"feature\"\n")
    landing = root / "support.jsonl"
    landing.write_text("".join(json.dumps(r) + "\n" for r in HISTORY))
    ingest_paths([landing], home, source="anthropic")
    warehouse.build(home)
    result = simulate.run(home)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    yield con, result
    con.close()
    mp.undo()


def _one(con, query: str, params=None):
    return con.execute(query, params or []).fetchall()


def test_exact_response_cache_honours_ttl_and_scope(warehouse_con):
    con, result = warehouse_con
    assert result.simulated_requests == 6
    rows = _one(con, """
        SELECT team, requests, simulated_requests, hits, round(cost_usd, 6), round(saved_usd, 6)
        FROM cache_opportunities WHERE strategy = 'exact' ORDER BY team""")
    assert rows == [
        ("growth", 1, 1, 0, pytest.approx(COST), 0.0),
        ("support", 5, 5, 2, pytest.approx(5 * COST), pytest.approx(round(2 * COST, 6))),
    ]


def test_prompt_cache_replay_priced_by_hand(warehouse_con):
    con, _ = warehouse_con
    # 5-minute TTL: r1 writes 1,213; r2 reads the system prefix (1,204) and writes its question
    # (9); r3 reads all 1,213; r4 finds everything expired (last touch at 120 s) and writes
    # 1,213; r5 and r6 (same account, other team) read 1,213.
    five_minutes = 2 * INPUT * WRITE + (1204 * READ + 9 * WRITE) + 3 * INPUT * READ
    # 1-hour TTL (writes $6/M): r4 still finds r3's entry (1,080 s old), so only r1 and r2 write.
    one_hour = INPUT * WRITE_1H + 1204 * READ + 9 * WRITE_1H + 4 * INPUT * READ
    actual = 6 * INPUT * IN
    rows = _one(con, """
        SELECT requests, avg_prefix_tokens, actual_cache_read_tokens, simulated_cache_read_tokens,
               simulated_cache_write_tokens, actual_input_cost_usd, simulated_input_cost_usd,
               saved_usd, saved_5m_usd, saved_1h_usd, best_ttl, recommendation, rule_id,
               min_cacheable_tokens
        FROM prompt_cache_opportunities""")
    assert rows == [(6, 1204, 0, 1204 + 4 * 1213, 1213 + 9, pytest.approx(actual),
                     pytest.approx(one_hour), pytest.approx(actual - one_hour),
                     pytest.approx(actual - five_minutes), pytest.approx(actual - one_hour),
                     "1h", "enable caching", "anthropic/sonnet-4-6/2026-02-17", 1024)]
    by_team = _one(con, """
        SELECT team, hits, saved_usd FROM cache_opportunities
        WHERE strategy = 'prompt_cache' ORDER BY team""")
    support = INPUT * WRITE_1H + 1204 * READ + 9 * WRITE_1H + 3 * INPUT * READ
    assert by_team == [("growth", 1, pytest.approx(INPUT * IN - INPUT * READ)),
                       ("support", 4, pytest.approx(5 * INPUT * IN - support))]


def test_semantic_sweep_threshold_edges(warehouse_con):
    con, result = warehouse_con
    q1, q2 = get_embedder("hashing-char3_5-256").embed([Q1.lower(), Q2.lower()])
    similarity = float(np.float32(q1 @ q2))
    rows = _one(con, """
        SELECT threshold, eligible_requests, hits, saved_usd, responses_compared,
               response_match_rate
        FROM semantic_cache_sweep WHERE scope = 'feature' ORDER BY threshold""")
    assert len(rows) == 9
    for threshold, eligible, hits, saved, compared, match_rate in rows:
        # Q1 repeats always hit (cosine 1); r2 (Q2) hits r1 only when Q1~Q2 reaches the
        # threshold. Every logged answer is the same text, so every hit matches.
        expected = 2 + (similarity >= threshold)
        assert (eligible, hits, compared, match_rate) == (6, expected, expected, 1.0), threshold
        assert saved == pytest.approx(expected * COST)
    default = _one(con, "SELECT threshold FROM semantic_cache_sweep "
                        "WHERE is_default AND scope = 'feature'")
    assert default == [(result.default_threshold,)]


def test_prompt_waste_static_system_prompt(warehouse_con):
    con, _ = warehouse_con
    rows = _one(con, """
        SELECT team, waste_kind, requests, affected_requests, waste_tokens, cost_usd,
               est_saved_usd
        FROM prompt_waste WHERE cost_usd > 0 ORDER BY team, waste_kind""")
    assert rows == [
        ("growth", "static_system_prompt", 1, 1, 1204, pytest.approx(1204 * IN),
         pytest.approx(1204 * (IN - READ))),
        ("support", "static_system_prompt", 5, 5, 5 * 1204, pytest.approx(5 * 1204 * IN),
         pytest.approx(5 * 1204 * (IN - READ))),
    ]


def test_savings_never_exceed_spend(warehouse_con):
    con, _ = warehouse_con
    over = _one(con, "SELECT count(*) FROM cache_opportunities WHERE saved_usd > cost_usd "
                     "OR saved_usd < 0")
    assert over == [(0,)]
    over = _one(con, "SELECT count(*) FROM prompt_waste WHERE est_saved_usd > cost_usd")
    assert over == [(0,)]
    over = _one(con, "SELECT count(*) FROM semantic_cache_sweep WHERE saved_usd > cost_usd")
    assert over == [(0,)]


def test_bad_settings_file_is_a_clear_error(tmp_path):
    from pipelines.savings.config import SavingsConfigError, load

    (tmp_path / "savings.toml").write_text("[cache]\nttl_secnds = 5\n")
    with pytest.raises(SavingsConfigError, match="unknown key.*ttl_secnds"):
        load(tmp_path)
    (tmp_path / "savings.toml").write_text("[cache]\nscope = \"planet\"\n")
    with pytest.raises(SavingsConfigError, match="scope must be one of"):
        load(Path(tmp_path))


def test_dagster_savings_job_materialises_every_savings_table(tmp_path, monkeypatch):
    import dagster as dg

    from pipelines.definitions import defs

    monkeypatch.setenv("LLMCOST_EMBEDDER", "hashing-char3_5-256")
    home = Home(tmp_path / "home")
    landing = tmp_path / "support.jsonl"
    landing.write_text("".join(json.dumps(r) + "\n" for r in HISTORY))
    ingest_paths([landing], home, source="anthropic")
    warehouse.build(home)
    monkeypatch.setenv("LLMCOST_HOME", str(home.root))
    with dg.instance_for_test() as instance:
        result = defs().resolve_job_def("savings_job").execute_in_process(instance=instance)
    assert result.success
    materialised = {event.asset_key.to_user_string(): event.step_materialization_data
                    .materialization.metadata["dagster/row_count"].value
                    for event in result.get_asset_materialization_events()}
    assert materialised == {"cache_opportunities": 6, "semantic_cache_sweep": 27,
                            "prompt_cache_opportunities": 1, "prompt_waste": 8,
                            "routing_opportunities": 0, "routing_curve": 0,
                            "savings_runs": 1}


def test_history_without_logged_prompts_simulates_nothing_and_says_so(tmp_path, monkeypatch):
    from pipelines.savings.report import headline

    monkeypatch.setenv("LLMCOST_EMBEDDER", "hashing-char3_5-256")
    home = Home(tmp_path / "home")
    bare = {**HISTORY[0], "request": {"model": "claude-sonnet-4-6"}}  # no prompt logged
    landing = tmp_path / "bare.jsonl"
    landing.write_text(json.dumps(bare) + "\n")
    ingest_paths([landing], home, source="anthropic")
    warehouse.build(home)
    result = simulate.run(home)
    assert (result.requests, result.simulated_requests) == (1, 0)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        assert _one(con, "SELECT strategy, requests, simulated_requests, hits, saved_usd "
                         "FROM cache_opportunities ORDER BY strategy") == [
            ("exact", 1, 0, 0, 0.0), ("prompt_cache", 1, 0, 0, 0.0), ("semantic", 1, 0, 0, 0.0)]
        assert _one(con, "SELECT count(*) FROM prompt_cache_opportunities") == [(0,)]
        assert "0 of 1 requests logged their prompt" in headline(con)
    finally:
        con.close()


def test_bad_prompt_cache_rules_file_is_a_clear_error(tmp_path):
    from pipelines.savings.rules import COLUMNS, RulesFileError, load

    home = Home(tmp_path / "home")
    home.ensure()
    rule = {"rule_id": "mine", "provider": "anthropic", "model_pattern": "claude-%",
            "effective_from": "2026-01-01", "effective_to": "", "caching": "explicit",
            "min_cacheable_tokens": "1024", "read_multiplier": "0.1",
            "write_multiplier": "0.5", "write_1h_multiplier": "2", "ttl_seconds": "300",
            "refresh_on_hit": "true", "increment_min_tokens": "", "increment_step_tokens": "",
            "source_url": "", "notes": ""}
    path = home.pricing / "prompt_cache_rules.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(rule[c] for c in COLUMNS) + "\n")
    with pytest.raises(RulesFileError, match=r"prompt_cache_rules.csv:2: .*write_multiplier"):
        load(home)
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(
        {**rule, "write_multiplier": "1.5"}[c] for c in COLUMNS) + "\n")
    rules = {row["rule_id"]: row for row in load(home).to_pylist()}
    assert rules["mine"]["write_multiplier"] == 1.5          # the user's row is added ...
    assert "anthropic/default/2024-08-14" in rules           # ... to the shipped ones


def test_prompt_waste_few_shot_history_and_minimum_length(tmp_path, monkeypatch):
    """Without session ids (most SDK logs), one chat's own history must not pass for a few-shot
    block: examples are a prefix that *different* conversations continue differently. And a
    prefix below the provider's minimum cacheable length saves nothing by caching."""
    from pipelines.fingerprint import count_tokens

    monkeypatch.setenv("LLMCOST_EMBEDDER", "none")
    system, example, label = "Classify the ticket.", "Example: refund please", "billing"
    u1, a1, u2, a2, u3 = ("My invoice is wrong", "Which invoice?", "The March one",
                          "Fixed it.", "Thanks, and April?")
    tokens = dict(zip([system, example, label, u1, a1, u2, a2, u3, Q1, Q2, "Question 3?"],
                      count_tokens([system, example, label, u1, a1, u2, a2, u3, Q1, Q2,
                                    "Question 3?"]), strict=True))

    def record(request_id, second, feature, messages):
        counted = tokens[system] + 4 + sum(tokens[m["content"]] + 4 for m in messages)
        rec = _record(request_id, second, Q1)
        rec["metadata"] = {"team": "ops", "feature": feature}  # no session id
        rec["request"].update(system=system, messages=messages)
        rec["response"]["usage"]["input_tokens"] = counted  # tokenizer and provider agree
        return rec

    shots = [{"role": "user", "content": example}, {"role": "assistant", "content": label}]
    history = [
        [{"role": "user", "content": u1}],
        [{"role": "user", "content": u1}, {"role": "assistant", "content": a1},
         {"role": "user", "content": u2}],
        [{"role": "user", "content": u1}, {"role": "assistant", "content": a1},
         {"role": "user", "content": u2}, {"role": "assistant", "content": a2},
         {"role": "user", "content": u3}],
    ]
    records = [record(f"t{i}", i, "triage", [*shots, {"role": "user", "content": q}])
               for i, q in enumerate([Q1, Q2, "Question 3?"])]
    records += [record(f"c{i}", 10 + i, "chat", m) for i, m in enumerate(history)]
    home = Home(tmp_path / "home")
    home.ensure()
    (home.root / "savings.toml").write_text("[waste]\nhistory_keep_turns = 1\n")
    landing = tmp_path / "ops.jsonl"
    landing.write_text("".join(json.dumps(r) + "\n" for r in records))
    ingest_paths([landing], home, source="anthropic")
    warehouse.build(home)
    simulate.run(home)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        rows = _one(con, """
            SELECT feature, waste_kind, affected_requests, waste_tokens, cost_usd, est_saved_usd
            FROM prompt_waste WHERE waste_kind IN ('few_shot', 'growing_history')
            ORDER BY feature, waste_kind""")
    finally:
        con.close()
    shot_tokens = tokens[example] + 4 + tokens[label] + 4
    old_turn = tokens[u1] + 4 + tokens[a1] + 4  # c2 keeps its last turn (u2, a2)
    assert rows == [
        ("chat", "few_shot", 0, 0, 0.0, 0.0),
        ("chat", "growing_history", 1, old_turn, pytest.approx(old_turn * IN),
         pytest.approx(max(0, old_turn - 300) / old_turn * old_turn * IN)),
        ("triage", "few_shot", 3, 3 * shot_tokens, pytest.approx(3 * shot_tokens * IN), 0.0),
        ("triage", "growing_history", 0, 0, 0.0, 0.0),
    ]


@pytest.mark.parametrize("toml, message", [
    ("[cache]\nttl_seconds = 0\n", "ttl_seconds must be > 0"),
    ("[semantic]\nthresholds = [\"high\"]\n", "thresholds must be numbers"),
    ("[semantic]\nneighbours = 0\n", "neighbours must be >= 1"),
    ("[cache]\nexclude_features = [\"support-bot\"]\n", "team/feature"),
    ("[cache\n", "not valid TOML"),
])
def test_settings_errors_name_the_key(tmp_path, toml, message):
    from pipelines.savings.config import SavingsConfigError, load

    (tmp_path / "savings.toml").write_text(toml)
    with pytest.raises(SavingsConfigError, match=message):
        load(tmp_path)
