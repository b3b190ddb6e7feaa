"""What-if enforcement: replay the requests in order as if the budgets' caps had been enforced.

Semantics (gateways' "after crossing" admission): a request is blocked, or failed over, when the
spend *admitted so far* in the period of any matching budget with that action has reached the
budget's amount; the request that crosses completes. A blocked request adds nothing to any
budget; a failed-over one adds its cost at the failover model's dated price (the original cost
when that model is unpriced, so a missing price never makes a cap look looser). Among exhausted
budgets the strictest action wins (block > failover), then the budget listed first.

Sequential by nature (each decision depends on the spend admitted so far), so the loop runs in
Python over flat integer arrays (costs in nano-dollars: exact comparisons, no float drift); the
SQL before it keeps only budget instances whose spend could reach their amount at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NONE, FAILOVER, BLOCK = 0, 1, 2
NANO = 1_000_000_000


@dataclass
class ReplayResult:
    decision: np.ndarray        # per request: NONE | FAILOVER | BLOCK
    deciding_member: np.ndarray  # per request: index of the member that decided, -1 if none
    admitted: np.ndarray        # per instance: spend admitted in the replay (nano-dollars)
    exhausted_at: np.ndarray    # per instance: request index at which it reached its amount


def enforce(request_ptr: np.ndarray, member_instance: np.ndarray, member_action: np.ndarray,
            member_failover_cost: np.ndarray, request_cost: np.ndarray,
            instance_amount: np.ndarray) -> ReplayResult:
    """Replay `len(request_ptr) - 1` requests, already in (occurred_at, request_id) order.

    Request i's budget memberships are members ``request_ptr[i]:request_ptr[i + 1]``, in
    budget order; each has an instance, an action (NONE for alert-only) and the request's cost
    at that budget's failover model (-1 = unpriced). Costs and amounts are nano-dollars.
    """
    n = len(request_ptr) - 1
    ptr = request_ptr.tolist()
    inst = member_instance.tolist()
    action = member_action.tolist()
    fail = member_failover_cost.tolist()
    cost = request_cost.tolist()
    amount = instance_amount.tolist()
    admitted = [0] * len(amount)
    exhausted = [-1] * len(amount)
    decision = [NONE] * n
    chosen_member = [-1] * n
    for i in range(n):
        start, end = ptr[i], ptr[i + 1]
        best, chosen = NONE, -1
        for k in range(start, end):
            act = action[k]
            if act > best and admitted[inst[k]] >= amount[inst[k]]:
                best, chosen = act, k
        if best == BLOCK:
            decision[i], chosen_member[i] = BLOCK, chosen
            continue
        add = cost[i]
        if best == FAILOVER:
            decision[i], chosen_member[i] = FAILOVER, chosen
            if fail[chosen] >= 0:
                add = fail[chosen]
        if add:
            for k in range(start, end):
                j = inst[k]
                before = admitted[j]
                admitted[j] = before + add
                if before < amount[j] <= before + add:
                    exhausted[j] = i
    return ReplayResult(np.array(decision, np.int8), np.array(chosen_member, np.int64),
                        np.array(admitted, np.int64), np.array(exhausted, np.int64))


def brute_force(requests: list[dict], budgets: dict[str, dict]) -> dict[str, tuple[str, str]]:
    """Reference for tests: the replay over plain dicts, one request at a time.

    requests: in order, each {"id", "cost", "members": [(instance, action, failover_cost)]}
    with action "alert" | "failover" | "block" and failover_cost None when unpriced;
    budgets: instance -> {"amount"}. Returns request id -> (decision, instance).
    """
    spent = {name: 0 for name in budgets}
    out = {}
    rank = {"alert": 0, "failover": 1, "block": 2}
    for request in requests:
        exhausted = [(instance, act, failover_cost)
                     for instance, act, failover_cost in request["members"]
                     if act != "alert" and spent[instance] >= budgets[instance]["amount"]]
        if exhausted:
            strictest = max(rank[act] for _, act, _ in exhausted)
            instance, act, failover_cost = next(m for m in exhausted if rank[m[1]] == strictest)
            out[request["id"]] = ("blocked" if act == "block" else "failover", instance)
            if act == "block":
                continue
            add = request["cost"] if failover_cost is None else failover_cost
        else:
            add = request["cost"]
        for instance, _, _ in request["members"]:
            spent[instance] += add
    return out
