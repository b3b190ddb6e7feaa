"""``llmcost savings``: the headline of the savings marts, as text tables."""

from __future__ import annotations

import duckdb

from pipelines.report import format_table


def _rows(con, query: str, params=None) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(query, params or [])
    return [d[0] for d in cursor.description], cursor.fetchall()


def _table(con, title: str, query: str, params=None) -> str:
    columns, rows = _rows(con, query, params)
    if not rows:
        return f"{title}\n  (none)"
    return f"{title}\n{format_table(columns, rows)}"


def headline(con: duckdb.DuckDBPyConnection, min_precision: float = 0.95) -> str:
    run = con.execute("SELECT * FROM savings_runs").fetchall()
    if not run:
        return "no savings simulation yet: run `llmcost savings`"
    (_, config, scope, ttl, capacity, threshold, embedder, tokenizer, requests, simulated,
     embedded, cost, simulated_cost) = run[0][:13]
    share = (float(simulated_cost or 0) / float(cost)) if cost else 0.0
    calibrated = con.execute(
        "SELECT calibrated_precision FROM semantic_cache_sweep WHERE is_default LIMIT 1"
    ).fetchall()
    precision = calibrated[0][0] if calibrated else None
    note = (f" (calibrated paraphrase precision {precision:.2f}: no threshold reaches the "
            f"target set by min_precision, so the strictest is used)"
            if precision is not None and precision < min_precision else "")
    parts = [
        f"What could have been saved (simulated over history; config: {config})",
        f"  {simulated:,} of {requests:,} requests logged their prompt and could be replayed "
        f"({share:.1%} of ${float(cost or 0):,.2f}); {embedded:,} have a last-turn embedding "
        f"({embedder or 'none'}); tokens counted with {tokenizer}.",
        f"  response caches: scope {scope}, TTL {ttl:,.0f} s, capacity "
        f"{'unlimited' if not capacity else f'{capacity:,}'}; semantic default threshold "
        f"{threshold}{note}.",
        "",
        _table(con, "Headline: savings by strategy", """
            WITH by_strategy AS (
                SELECT strategy, any_value(threshold) AS threshold,
                       sum(simulated_requests) AS replayed, sum(hits) AS hits,
                       sum(saved_usd) AS saved_usd, sum(latency_saved_s) AS latency_saved_s
                FROM cache_opportunities GROUP BY strategy
            ),
            sweep AS (
                SELECT est_hit_precision FROM semantic_cache_sweep
                WHERE is_default AND scope = (SELECT scope FROM savings_runs)
            ),
            spend AS (SELECT sum(cost_usd) AS cost_usd FROM requests)
            SELECT strategy,
                   hits,
                   round(100.0 * hits / nullif(replayed, 0), 1) AS "hit % of replayed",
                   round(saved_usd, 2) AS saved_usd,
                   round(100 * saved_usd / (SELECT cost_usd FROM spend), 2) AS "% of spend",
                   round(latency_saved_s / 3600, 1) AS latency_saved_h,
                   CASE WHEN strategy = 'semantic' THEN round((SELECT any_value(
                       est_hit_precision) FROM sweep), 3) END AS est_precision
            FROM by_strategy
            ORDER BY saved_usd DESC
        """),
        "",
        _table(con, f"Semantic cache sweep (scope {scope}; hit_ratio = hits / eligible; a "
               "paraphrase hit is right with the embedder's QQP-calibrated precision, an "
               "identical question always)", """
            SELECT threshold, eligible_requests AS eligible, hits,
                   round(hit_rate, 3) AS hit_ratio, paraphrase_hits,
                   round(saved_usd, 2) AS saved_usd,
                   round(latency_saved_s / 3600, 1) AS latency_saved_h,
                   round(est_hit_precision, 3) AS est_precision,
                   round(est_false_hit_rate, 3) AS est_false_hit_rate,
                   round(response_match_rate, 3) AS logged_response_match
            FROM semantic_cache_sweep WHERE scope = ? ORDER BY threshold
        """, [scope]),
        "",
        _table(con, "Top prompt prefixes to cache (provider prompt caching)", """
            SELECT provider, model, array_to_string(features, ', ') AS features,
                   avg_prefix_tokens, requests, best_ttl,
                   round(actual_input_cost_usd, 2) AS input_cost_usd,
                   round(saved_usd, 2) AS saved_usd, recommendation
            FROM prompt_cache_opportunities ORDER BY saved_usd DESC LIMIT 8
        """),
        "",
        _table(con, "Prompt waste (estimated saving of the fix)", """
            SELECT team, feature, waste_kind, sum(affected_requests) AS requests,
                   round(sum(cost_usd), 2) AS cost_usd, round(sum(est_saved_usd), 2) AS saved_usd,
                   any_value(fix) AS fix
            FROM prompt_waste GROUP BY team, feature, waste_kind
            HAVING sum(cost_usd) > 0 ORDER BY sum(est_saved_usd) DESC LIMIT 10
        """),
    ]
    return "\n".join(parts)
