"""The enforcement replay: failover at the failover model's dated price (and an unpriced
failover reported, never $0), and the sequential replay against a brute-force reference on
random budgets that overlap, where one budget's blocks delay another's exhaustion: the
interaction a per-budget shortcut gets wrong.
"""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np

from pipelines.budgets import config as budgets_config
from pipelines.budgets.build import build_marts
from pipelines.budgets.replay import BLOCK, FAILOVER, brute_force, enforce
from pipelines.paths import Home
from tests.budget_rows import connect_with

FAILOVER_TOML = """
[[budget]]
id = "search"
scope = { team = "search" }
period = "day"
amount_usd = 0.03
action = { production = "failover", default = "block" }
failover_model = "{model}"
"""


def _rows():
    # gpt-4o at $2.50 / $10 per M: 1k in + 1k out = $0.0125; gpt-4o-mini ($0.15 / $0.60) $0.00075.
    return [{"occurred_at": f"2025-06-03T09:0{i}:00", "cost_usd": "0.0125",
             "environment": env} for i, env in enumerate(
                 ["production"] * 5 + ["dev"])]


def test_failover_reprices_at_the_failover_models_dated_price(tmp_path):
    (tmp_path / "budgets.toml").write_text(
        FAILOVER_TOML.replace("{model}", "openai/gpt-4o-mini"))
    con = connect_with(_rows())
    build_marts(con, Home(tmp_path), budgets_config.load(tmp_path))
    got = con.execute("select request_id, decision, replay_cost_usd, saved_usd "
                      "from enforcement_replay order by request_id").fetchall()
    # Spend before r4 is $0.0375 >= $0.03: r4 and r5 fail over (each adds $0.00075); the dev
    # request r6 is blocked.
    assert got == [("r000004", "failover", Decimal("0.00075"), Decimal("0.01175")),
                   ("r000005", "failover", Decimal("0.00075"), Decimal("0.01175")),
                   ("r000006", "blocked", Decimal("0"), Decimal("0.0125"))]
    assert con.execute("select replay_spend_usd, saved_usd, failover_requests "
                       "from enforcement_replay_summary").fetchall() == [
        (Decimal("0.039"), Decimal("0.036"), 2)]


def test_unpriced_failover_is_reported_not_zero(tmp_path):
    (tmp_path / "budgets.toml").write_text(
        FAILOVER_TOML.replace("{model}", "openai/no-such-model"))
    con = connect_with(_rows())
    build_marts(con, Home(tmp_path), budgets_config.load(tmp_path))
    got = con.execute("select request_id, replay_cost_usd, saved_usd, failover_unpriced_reason "
                      "from enforcement_replay where decision = 'failover' "
                      "order by request_id").fetchall()
    assert got == [("r000004", None, None, "no price for model openai/no-such-model"),
                   ("r000005", None, None, "no price for model openai/no-such-model")]
    assert con.execute("select unpriced_failover_requests, replay_spend_usd "
                       "from enforcement_replay_summary").fetchall() == [(2, Decimal("0.0625"))]


def test_replay_matches_brute_force_on_overlapping_random_budgets():
    rng = random.Random(13)
    for trial in range(30):
        n_instances = rng.randint(1, 6)
        amounts = [rng.randint(5, 60) for _ in range(n_instances)]
        requests, ptr, inst, action, fail, cost = [], [0], [], [], [], []
        for i in range(rng.randint(20, 120)):
            members = []
            for j in sorted(rng.sample(range(n_instances), rng.randint(1, n_instances))):
                act = rng.choice(["alert", "failover", "block"])
                failover_cost = rng.choice([None, rng.randint(0, 4)]) if act == "failover" \
                    else None
                members.append((j, act, failover_cost))
                inst.append(j)
                action.append({"alert": 0, "failover": FAILOVER, "block": BLOCK}[act])
                fail.append(-1 if failover_cost is None else failover_cost)
            c = rng.randint(0, 9)
            requests.append({"id": i, "cost": c, "members": members})
            cost.append(c)
            ptr.append(len(inst))
        expected = brute_force(requests, {j: {"amount": a} for j, a in enumerate(amounts)})
        got = enforce(np.array(ptr), np.array(inst), np.array(action), np.array(fail),
                      np.array(cost), np.array(amounts))
        decided = {i: ("blocked" if got.decision[i] == BLOCK else "failover",
                       inst[got.deciding_member[i]])
                   for i in np.flatnonzero(got.decision)}
        assert decided == expected, trial
