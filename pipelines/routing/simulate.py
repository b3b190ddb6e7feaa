"""The routing replay: which requests each policy would have switched to a cheaper model, what
they would have cost there, and the quality that costs, written as ``routing_opportunities``
and ``routing_curve`` by the savings run (one transaction with the other savings marts).

Python only compiles the policies (first match wins) and the scorer into SQL expressions with
bound parameters and registers the small tables (policy targets, model limits, tokenizer
ratios, the scorer's calibration); the bulk work is the SQL in ``sql/savings/routing_*.sql``.
The target is priced by the same price rows and choice rule as the warehouse
(``stg_pricing__prices``, ``sql/savings/routing_prices.sql``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipelines import attribution, pricing, warehouse
from pipelines.lake import Lake
from pipelines.paths import SQL_DIR, Home
from pipelines.routing import limits, scorer
from pipelines.routing.policies import Policy, RoutingConfig, match_expression

ROUTING_TABLES = ("routing_opportunities", "routing_curve")
CALIBRATION_DIR = Path(__file__).parent / "calibration"
CALIBRATION_DATASET = "routellm_mmlu"
# The views the target's pricing reads, and everything they read in turn.
PRICE_VIEWS = ("stg_pricing__prices", "int_price_thresholds")
ARMS_SCHEMA = pa.schema([
    ("policy_index", pa.int32()), ("policy", pa.string()), ("kind", pa.string()),
    ("to_model_id", pa.string()), ("to_provider", pa.string()), ("to_model", pa.string()),
    ("weight_share", pa.float64()), ("strong_share", pa.float64()), ("est_pgr", pa.float64()),
    ("est_pgr_low", pa.float64()), ("est_pgr_high", pa.float64()),
    ("quality_basis", pa.string())])


def _sql(name: str) -> str:
    return (SQL_DIR / "savings" / f"{name}.sql").read_text()


def bind_price_views(con, home: Home) -> None:
    """The warehouse's price views in this connection: the price files registered as the build
    registers them, then the staging/intermediate views the price views need (and only those),
    from their own SQL files."""
    book = pricing.load(home)
    con.register("pricing_rows", book.rows)
    con.register("pricing_aliases", book.aliases)
    texts = {name: warehouse.sql_text(layer, name) for layer in warehouse.LAYERS
             for name in warehouse._sql_names(layer)}
    needed, todo = [], list(PRICE_VIEWS)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.append(name)
        todo += [other for other in texts
                 if other != name and re.search(rf"\b{other}\b", texts[name])]
    if any(name.startswith("stg_lake__") or name.startswith("stg_attribution") for name in needed):
        con.register("attribution_rule_rows", attribution.load(home).table)
        warehouse._set_build_dates(con, set())
        warehouse._bind_lake(con, Lake(home.lake))
    for name in reversed(needed):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {texts[name]}")


def load_calibration(name: str) -> list[dict]:
    path = CALIBRATION_DIR / f"{name}-{CALIBRATION_DATASET}.csv"
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [{k: (v if k in ("scorer", "dataset") else float(v)) for k, v in row.items()}
                for row in csv.DictReader(handle)]


def _calibrated(policy: Policy) -> tuple[float | None, float | None, float | None, str]:
    share = policy.strong_share
    rows = load_calibration(policy.scorer)
    if not rows:
        return None, None, None, (f"{policy.scorer} keeps {share:.0%} on the strong model; "
                                  "no calibration on file: quality unknown")
    xs = [r["strong_share"] for r in rows]

    def at(column: str) -> float:
        return float(np.interp(share, xs, [r[column] for r in rows]))

    n = int(rows[0]["n"])
    return at("pgr"), at("pgr_p05"), at("pgr_p95"), (
        f"{policy.scorer} calibrated on RouteLLM MMLU ({n:,} labelled prompts, Mixtral-8x7B vs "
        f"GPT-4): at strong share {share:.2f} PGR {at('pgr'):.2f} "
        f"[{at('pgr_p05'):.2f}-{at('pgr_p95'):.2f}, 90% bootstrap], envelope random "
        f"{share:.2f} to oracle {at('pgr_oracle'):.2f}; MMLU is a weak proxy for your traffic")


def arms_table(config: RoutingConfig) -> pa.Table:
    rows = []
    for index, policy in enumerate(config.policies, start=1):
        total = sum(t.weight for t in policy.targets)
        if policy.kind == "rule":
            pgr = (0.0, 0.0, 0.0)
            basis = ("rule: every matching request switches, PGR 0 by definition (the "
                     "target's quality on them); no labelled evidence")
            share = 0.0
        elif policy.kind == "weighted":
            share = sum(t.weight for t in policy.targets if t.model in policy.from_models) / total
            pgr = (share, share, share)
            basis = (f"weighted split = random routing: PGR = strong share ({share:.2f}), "
                     "in expectation")
        else:
            share = policy.strong_share
            *values, basis = _calibrated(policy)
            pgr = tuple(values)
        for target in policy.targets:
            provider, model = target.model.split("/", 1)
            rows.append({"policy_index": index, "policy": policy.name, "kind": policy.kind,
                         "to_model_id": target.model, "to_provider": provider,
                         "to_model": model, "weight_share": target.weight / total,
                         "strong_share": share, "est_pgr": pgr[0], "est_pgr_low": pgr[1],
                         "est_pgr_high": pgr[2], "quality_basis": basis})
    return pa.Table.from_pylist(rows, schema=ARMS_SCHEMA)


def _score_expression(config: RoutingConfig) -> tuple[str, list]:
    """One score per request: its policy's scorer (the default scorer for rules and weighted
    splits, which the curve uses)."""
    default = scorer.DEFAULT_SCORER
    used = {p.scorer for p in config.policies if p.kind == "classifier"} - {default}
    params: list = []
    arms = []
    for name in sorted(used):
        indices = [i for i, p in enumerate(config.policies, start=1)
                   if p.kind == "classifier" and p.scorer == name]
        expression, scorer_params = scorer.load(name).sql("requests")
        arms.append(f"WHEN policy_index IN ({', '.join(map(str, indices))}) THEN {expression}")
        params += scorer_params
    expression, scorer_params = scorer.load(default).sql("requests")
    params += scorer_params
    if not arms:
        return expression, params
    return f"CASE {' '.join(arms)} ELSE {expression} END", params


def prepare(con, home: Home, config: RoutingConfig) -> None:
    """Temp tables up to routing_candidates (grain: request x policy x target)."""
    bind_price_views(con, home)
    con.register("routing_arms", arms_table(config))
    con.register("routing_model_limits", limits.load_limits(home))
    con.register("routing_tokenizer_ratios", limits.load_ratios(home))
    names = sorted({scorer.DEFAULT_SCORER} | {p.scorer for p in config.policies})
    calibration = [row for name in names for row in load_calibration(name)]
    con.register("routing_calibration", pa.Table.from_pylist(calibration, schema=pa.schema([
        ("scorer", pa.string()), ("dataset", pa.string()), ("n", pa.float64()),
        ("strong_share", pa.float64()), ("pgr_random", pa.float64()), ("pgr", pa.float64()),
        ("pgr_p05", pa.float64()), ("pgr_p95", pa.float64()), ("pgr_oracle", pa.float64())])))
    con.register("routing_policy_scorers", pa.table({
        "policy": [p.name for p in config.policies],
        "scorer": [p.scorer for p in config.policies]}, schema=pa.schema([
            ("policy", pa.string()), ("scorer", pa.string())])))
    match, match_params = match_expression(config.policies)
    score, score_params = _score_expression(config)
    # Only the policies' expressions are composed here: column names from a whitelist,
    # every value a bound parameter.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE routing_matched AS
        SELECT
            requests.source, requests.request_id, requests.usage_date,
            requests.team, requests.feature, requests.provider, requests.model,
            requests.provider || '/' || requests.model AS from_model,
            requests.service_tier, requests.status, requests.is_gateway_cache_hit,
            requests.is_priced, requests.input_tokens, requests.uncached_input_tokens,
            requests.cache_read_input_tokens, requests.cache_creation_5m_input_tokens,
            requests.cache_creation_1h_input_tokens, requests.output_tokens,
            coalesce(requests.tool_cost_usd, 0) AS tool_cost_usd,
            CAST(requests.cost_usd AS DOUBLE) AS cost_usd_actual,
            requests.policy_index,
            {score} AS score
        FROM (
            SELECT * REPLACE (coalesce(team, 'unattributed') AS team,
                              coalesce(feature, 'unattributed') AS feature),
                {match} AS policy_index
            FROM requests
        ) AS requests
        WHERE requests.policy_index IS NOT NULL
    """, score_params + match_params)
    con.execute(f"CREATE OR REPLACE TEMP TABLE routing_ab AS {_sql('routing_ab')}",
                {"min_requests": config.min_ab_requests})
    con.execute("""
        CREATE OR REPLACE TEMP TABLE routing_price_keys AS
        SELECT DISTINCT
            arms.to_provider AS provider, arms.to_model AS model, matched.service_tier,
            matched.usage_date AS priced_date,
            llm_tier_floor(thresholds.thresholds, matched.input_tokens) AS tier_floor
        FROM routing_matched AS matched
        JOIN routing_arms AS arms ON arms.policy_index = matched.policy_index
        CROSS JOIN int_price_thresholds AS thresholds
    """)
    con.execute(f"CREATE OR REPLACE TEMP TABLE routing_target_prices AS "
                f"{_sql('routing_prices')}")
    low, point, high = config.output_length_ratio
    con.execute(f"CREATE OR REPLACE TEMP TABLE routing_candidates AS "
                f"{_sql('routing_candidates')}", {
                    "len_low": low, "len_point": point, "len_high": high,
                    "cold_cache": config.cold_cache,
                    "fee_usd_per_token": config.router_fee_usd_per_mtok / 1e6})


def write_marts(con) -> None:
    """Replace the routing marts (call inside the savings run's transaction)."""
    con.execute(f"CREATE OR REPLACE TABLE routing_opportunities AS "
                f"SELECT * FROM ({_sql('routing_opportunities')}) "
                f"ORDER BY usage_date, team, feature, policy, to_model")
    con.execute(f"CREATE OR REPLACE TABLE routing_curve AS "
                f"SELECT * FROM ({_sql('routing_curve')}) ORDER BY policy, strong_share")
