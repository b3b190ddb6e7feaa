"""The routing replay end to end on a hand-built history: real ingest, build and savings run,
every dollar computed by hand below.

What real routing must honour: a switched request loses the provider's prompt cache (800 cache
reads on Sonnet are 800 uncached tokens on Haiku); a gateway's weighted split is an expected
value (80/20 saves 20 % of the difference, routing 0.2 of a request), not a random draw; the
first policy that matches wins, as in Portkey's conditional router; a target with no price row
is reported as unpriced, never as $0 (which would claim its whole cost as saved); two models
serving the same feature are an A/B test whose output lengths replace the assumed band.
"""

from __future__ import annotations

import tomllib

import duckdb
import pytest

from pipelines import warehouse
from pipelines.paths import Home
from pipelines.savings import config as savings_config
from pipelines.savings import simulate
from tests.conftest import envelope, ingest, write_jsonl

SETTINGS = """
[routing]
output_length_ratio = [0.5, 1.0, 2.0]
cold_cache = "uncached"
min_ab_requests = 2

[[routing.policies]]
name = "summaries-to-haiku"
kind = "rule"
when = { feature = { "$in" = ["summarizer"] }, input_tokens = { "$lte" = 20000 } }
from = ["anthropic/claude-sonnet-4-5"]
to = "anthropic/claude-haiku-4-5"

[[routing.policies]]
name = "drafts-to-unknown"
kind = "rule"
when = { feature = "drafts" }
from = ["anthropic/claude-sonnet-4-5"]
to = "anthropic/claude-haiku-9"

[[routing.policies]]
name = "complexity"
kind = "classifier"
from = ["anthropic/claude-opus-4-5"]
to = "anthropic/claude-haiku-4-5"
strong_share = 0.5

[[routing.policies]]
name = "canary"
kind = "weighted"
from = ["anthropic/claude-sonnet-4-5"]
targets = [{ model = "anthropic/claude-sonnet-4-5", weight = 80 },
           { model = "anthropic/claude-haiku-4-5", weight = 20 }]
"""


def _call(request_id: str, minute: int, feature: str, model: str, input_tokens: int,
          cache_read: int, output_tokens: int) -> dict:
    # Anthropic's input_tokens excludes cache reads; llmcost adds them back.
    body = {"id": f"msg_{request_id}", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "ok"}],
            "usage": {"input_tokens": input_tokens - cache_read,
                      "cache_read_input_tokens": cache_read, "output_tokens": output_tokens}}
    stamp = f"2026-11-02T10:{minute:02d}:00Z"
    return envelope(body, request_id=request_id, started_at=stamp, ended_at=stamp,
                    metadata={"team": "support", "feature": feature})


HISTORY = [
    # 1,000 input (800 cache reads) + 500 output: Sonnet 4.5 $0.00834, Haiku 4.5 cold $0.0035.
    _call("s1", 0, "summarizer", "claude-sonnet-4-5", 1000, 800, 500),
    # 30,000 input fails the first policy's $lte: the canary (third) takes it.
    _call("s2", 1, "summarizer", "claude-sonnet-4-5", 30000, 0, 500),
    # Matches the second policy, whose target has no price.
    _call("s3", 2, "drafts", "claude-sonnet-4-5", 1000, 0, 100),
    # The support-bot A/B: Sonnet 4.5 and Haiku 4.5 both serve it; Haiku writes 0.8x the output.
    _call("b1", 3, "support-bot", "claude-sonnet-4-5", 2000, 0, 400),
    _call("b2", 4, "support-bot", "claude-sonnet-4-5", 2000, 0, 600),
    _call("b3", 5, "support-bot", "claude-haiku-4-5", 2000, 0, 300),
    _call("b4", 6, "support-bot", "claude-haiku-4-5", 2000, 0, 500),
    # The classifier keeps the longer half (no prompt logged: the score is ln(1 + input)).
    _call("c1", 7, "research", "claude-opus-4-5", 1000, 0, 100),
    _call("c2", 8, "research", "claude-opus-4-5", 2000, 0, 100),
    _call("c3", 9, "research", "claude-opus-4-5", 3000, 0, 100),
    _call("c4", 10, "research", "claude-opus-4-5", 4000, 0, 100),
]


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("LLMCOST_EMBEDDER", "hashing-char3_5-256")
    root = tmp_path_factory.mktemp("routing")
    home = Home(root / "home")
    home.ensure()
    (home.root / "savings.toml").write_text(SETTINGS)
    ingest(home, write_jsonl(root / "calls.jsonl", HISTORY), "anthropic")
    warehouse.build(home)
    simulate.run(home)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    yield con
    con.close()
    mp.undo()


def _rows(con, sql: str, params=None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_sonnet_to_haiku_loses_the_cache(routed):
    row = _rows(routed, "SELECT * FROM routing_opportunities "
                        "WHERE policy = 'summaries-to-haiku'")[0]
    assert (row["requests"], row["eligible_requests"], row["routed_requests"]) == (1, 1, 1.0)
    assert float(row["cost_usd"]) == pytest.approx(0.00834, abs=1e-12)
    assert row["routed_cost_usd"] == pytest.approx(0.0035, abs=1e-12)
    assert row["saved_usd"] == pytest.approx(0.00484, abs=1e-12)
    # Output band [0.5, 2]: Haiku's 500 output tokens cost $0.00125 to $0.005.
    assert row["saved_usd_low"] == pytest.approx(0.00834 - 0.001 - 0.005, abs=1e-12)
    assert row["saved_usd_high"] == pytest.approx(0.00834 - 0.001 - 0.00125, abs=1e-12)
    assert (row["est_pgr"], row["est_pgr_low"], row["est_pgr_high"]) == (0.0, 0.0, 0.0)
    assert row["quality_basis"].startswith("rule:")


def test_first_match_wins_and_weighted_is_an_expected_value(routed):
    rows = _rows(routed, "SELECT * FROM routing_opportunities WHERE policy = 'canary' "
                         "AND feature = 'summarizer'")
    assert len(rows) == 1
    row = rows[0]
    # s1 matched the first policy only; s2 (30,000 input) fell through to the canary.
    assert (row["requests"], row["eligible_requests"]) == (1, 1)
    assert row["routed_requests"] == pytest.approx(0.2)
    actual = 30000 * 3e-6 + 500 * 15e-6        # $0.0975
    haiku = 30000 * 1e-6 + 500 * 5e-6          # $0.0325
    assert row["saved_usd"] == pytest.approx(0.2 * (actual - haiku), abs=1e-12)  # $0.013
    assert row["est_pgr"] == pytest.approx(0.8)
    assert row["kind"] == "weighted"


def test_unpriced_target_is_reported_not_zero(routed):
    row = _rows(routed, "SELECT * FROM routing_opportunities WHERE policy = 'drafts-to-unknown'")[0]
    assert (row["requests"], row["eligible_requests"], row["target_unpriced_requests"]) == (
        1, 0, 1)
    assert row["saved_usd"] is None and row["routed_cost_usd"] is None
    assert row["target_unpriced_reason"] == "no price for model anthropic/claude-haiku-9"
    assert float(row["cost_usd"]) == pytest.approx(1000 * 3e-6 + 100 * 15e-6)


def test_ab_traffic_replaces_the_output_band(routed):
    row = _rows(routed, "SELECT * FROM routing_opportunities WHERE policy = 'canary' "
                         "AND feature = 'support-bot'")[0]
    # Sonnet mean output 500, Haiku 400: observed ratio 0.8 for every band.
    assert row["ab_output_ratio"] == pytest.approx(0.8)
    assert row["routed_requests"] == pytest.approx(0.4)  # two Sonnet requests x 0.2
    assert row["saved_usd"] == pytest.approx(0.2 * (2000 * 3e-6 + 400 * 15e-6 - 2000 * 1e-6
                                                    - 320 * 5e-6
                                                    + 2000 * 3e-6 + 600 * 15e-6 - 2000 * 1e-6
                                                    - 480 * 5e-6), abs=1e-12)
    assert row["saved_usd_low"] == pytest.approx(row["saved_usd"])
    assert row["saved_usd_high"] == pytest.approx(row["saved_usd"])
    assert "A/B in logs: 2 requests on anthropic/claude-haiku-4-5 vs 2" in row["quality_basis"]
    assert "output ratio 0.8" in row["quality_basis"]


def test_classifier_keeps_its_strong_share_and_reports_its_calibration(routed):
    row = _rows(routed, "SELECT * FROM routing_opportunities WHERE policy = 'complexity'")[0]
    assert (row["eligible_requests"], row["routed_requests"]) == (4, 2.0)
    # c1 and c2 switch: Opus 4.5 $5/$25 -> Haiku 4.5 $1/$5 per MTok.
    saved = sum(tokens * 4e-6 + 100 * 20e-6 for tokens in (1000, 2000))
    assert row["saved_usd"] == pytest.approx(saved, abs=1e-12)
    # heuristic_v1 on MMLU at strong share 0.5 (shipped calibration table).
    assert (row["est_pgr"], row["est_pgr_low"], row["est_pgr_high"]) == pytest.approx(
        (0.626995, 0.598495, 0.648149))
    assert row["quality_basis"].startswith("heuristic_v1 calibrated on RouteLLM MMLU")


def test_routing_curve_has_eleven_shares_per_policy(routed):
    rows = _rows(routed, "SELECT * FROM routing_curve WHERE policy = 'canary' "
                         "ORDER BY strong_share")
    assert [round(r["strong_share"], 1) for r in rows] == [i / 10 for i in range(11)]
    assert rows[0]["routed_requests"] == rows[0]["eligible_requests"] == 3
    assert rows[-1]["routed_requests"] == 0
    assert rows[3]["pgr_random"] == pytest.approx(0.3)
    assert rows[3]["pgr_oracle"] >= rows[3]["pgr_calibrated"] >= 0.3


def test_settings_errors_name_the_key(tmp_path):
    cases = [
        ('[routing]\ncold_cache = "cold"\n', "cold_cache"),
        ('[routing]\noutput_length_ratio = [1.5, 1.0, 0.75]\n', "output_length_ratio"),
        ('[[routing.policies]]\nname = "x"\nkind = "rule"\nfrom = ["gpt-4o"]\nto = "openai/a"\n',
         "from must be a \"provider/model\" id"),
        ('[[routing.policies]]\nname = "x"\nkind = "rule"\nfrom = ["openai/a"]\n'
         'to = "openai/b"\nwhen = { colour = "red" }\n', "when.colour"),
        ('[[routing.policies]]\nname = "x"\nkind = "rule"\nfrom = ["openai/a"]\n'
         'to = "openai/b"\nwhen = { feature = { "$gt" = "a" } }\n', "when.feature.$gt"),
        ('[[routing.policies]]\nname = "x"\nkind = "classifier"\nfrom = ["openai/a"]\n'
         'to = "openai/b"\nstrong_share = 1.5\n', "strong_share"),
        ('[[routing.policies]]\nname = "x"\nkind = "weighted"\nfrom = ["openai/a"]\n'
         'targets = [{ model = "openai/b" }]\n', "no default weight"),
    ]
    for text, message in cases:
        (tmp_path / "savings.toml").write_text(text)
        with pytest.raises(savings_config.SavingsConfigError, match=message.replace("$", r"\$")):
            savings_config.load(tmp_path)


def test_demo_policies_are_valid_and_name_priced_models():
    from pipelines import pricing
    from pipelines.cli import DEMO_SAVINGS
    from pipelines.routing import policies, scorer

    parsed = policies.parse(tomllib.loads(DEMO_SAVINGS.read_text())["routing"], DEMO_SAVINGS,
                            scorer.names())
    assert [p.kind for p in parsed.policies] == ["rule", "rule", "classifier", "weighted"]
    priced = {f"{row['provider']}/{row['model']}" for row in pricing.load().rows.to_pylist()}
    for policy in parsed.policies:
        assert set(policy.from_models) <= priced
        assert {t.model for t in policy.targets} <= priced


def test_bad_model_limits_file_names_line_and_column(tmp_path):
    from pipelines.routing import limits

    home = Home(tmp_path / "home")
    home.pricing.mkdir(parents=True)
    (home.pricing / "model_limits.csv").write_text(
        "provider,model,effective_from,effective_to,context_window_tokens,max_output_tokens,"
        "tokenizer_family,source_url,notes\n"
        "openai,gpt-x,2026-01-01,,lots,100,openai_o200k,https://example.com,mine\n")
    with pytest.raises(limits.LimitsFileError, match=r"model_limits.csv:2: "
                       r"context_window_tokens 'lots' is not a number"):
        limits.load_limits(home)
    (home.pricing / "model_limits.csv").write_text(
        "provider,model,effective_from,effective_to,context_window_tokens,max_output_tokens,"
        "tokenizer_family,source_url,notes\n"
        "openai,gpt-4o,2024-05-13,,64000,100,openai_o200k,https://example.com,mine\n")
    rows = {(r["model"], r["effective_from"].isoformat()): r["context_window_tokens"]
            for r in limits.load_limits(home).to_pylist()}
    assert rows[("gpt-4o", "2024-05-13")] == 64000  # the user's row replaces the shipped one
