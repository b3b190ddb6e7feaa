"""Text output of the routing simulation: one line per policy for ``llmcost savings``, and the
metrics table of ``llmcost routing eval``."""

from __future__ import annotations

import json

import duckdb


def _money(value) -> str:
    return "n/a" if value is None else f"${float(value):,.2f}"


def policy_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per policy: saved [low-high], routed share, PGR band, basis."""
    present = con.execute("SELECT count(*) FROM information_schema.tables "
                          "WHERE table_name = 'routing_opportunities'").fetchall()[0][0]
    if not present:
        return ["Routing: not simulated yet (run `llmcost savings`)"]
    rows = con.execute("""
        SELECT policy, any_value(kind), sum(requests), sum(eligible_requests),
               sum(routed_requests), sum(saved_usd), sum(saved_usd_low), sum(saved_usd_high),
               min(est_pgr_low), max(est_pgr_high),
               sum(est_pgr * eligible_requests) / nullif(sum(eligible_requests), 0),
               sum(target_unpriced_requests), bool_or(ab_output_ratio IS NOT NULL),
               arg_max(quality_basis, eligible_requests),
               (SELECT sum(cost_usd) FROM requests)
        FROM routing_opportunities GROUP BY policy ORDER BY sum(saved_usd) DESC NULLS LAST
    """).fetchall()
    if not rows:
        return ["Routing: no policies in savings.toml [routing] (see README \"Routing\")"]
    lines = ["Routing (what switching to cheaper models would have saved; PGR = share of the "
             "strong-weak quality gap kept: random routing keeps its strong share, the oracle "
             "up to ~1.3 on MMLU)"]
    for (policy, kind, requests, eligible, routed, saved, low, high, pgr_low, pgr_high, pgr,
         unpriced, has_ab, basis, spend) in rows:
        share = float(routed or 0) / eligible if eligible else 0.0
        pct = f" ({float(saved) / float(spend):.1%} of spend)" if saved and spend else ""
        band = ("n/a" if pgr is None else f"{pgr:.2f} [{pgr_low:.2f}-{pgr_high:.2f}]")
        extra = f"; {unpriced:,} requests to an unpriced target (not counted)" if unpriced else ""
        lines.append(
            f"  {policy} ({kind}): saved {_money(saved)} [{_money(low)}-{_money(high)}]{pct}; "
            f"routed {float(routed or 0):,.1f} of {eligible:,} eligible ({share:.0%}) of "
            f"{requests:,} matched; PGR {band}{' (A/B evidence)' if has_ab else ''}; "
            f"basis: {basis}{extra}")
    return lines


def eval_text(result: dict) -> str:
    lines = [f"n = {result['n']:,} prompts; weak accuracy {result['weak_accuracy']:.2%}, "
             f"strong accuracy {result['strong_accuracy']:.2%}; default scorer "
             f"{result['default_scorer']}",
             f"{'router':16s} {'APGR':>7s} {'CPT(50%)':>9s} {'CPT(80%)':>9s}  points "
             "(strong share, accuracy)"]
    for name, router in result["routers"].items():
        points = " ".join(f"({s:.2f},{a:.3f})" for s, a in router["points"])
        lines.append(f"{name:16s} {router['apgr']:7.4f} {router['cpt50']:9.2%} "
                     f"{router['cpt80']:9.2%}  {points}")
    lines.append("random = mean of 10 seeded sweeps; oracle = knows the answers (upper bound)")
    return "\n".join(lines)


def eval_json(result: dict) -> str:
    return json.dumps(result)
