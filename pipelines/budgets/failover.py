"""Price requests at a failover model's dated price with the build's own pricing views.

The requests a failover budget could reroute are fed to the staging and intermediate views
(``sql/staging``, ``sql/intermediate``) as if they were lake rows whose raw model id is the
failover model: the same model-id resolution, effective-dated price match, long-context tiers
and cache-token rules price them as the build prices real requests. A failover model with no
price stays unpriced (cost NULL, with the reason), never $0.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from pipelines import attribution, pricing, schema
from pipelines.paths import Home
from pipelines.warehouse import _define_views

# Columns of the canonical row replaced for the rerouted request; the rest is the request's own.
_OVERRIDES = {
    "provider": "split_part(candidates.failover_model, '/', 1)",
    "model_raw": "candidates.failover_model",
    "reported_cost_usd": "cast(null as double)",
    "billed_cost_usd": "cast(null as double)",
}


def price_failovers(con: duckdb.DuckDBPyConnection, home: Home) -> None:
    """Create temp table ``budget_failover_costs`` (request_index, source, request_id,
    failover_model,
    failover_cost_usd, failover_unpriced_reason) for every request x failover model that an
    enforcing budget could reroute (the members of ``int_budget_members`` with action
    failover)."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE budget_failover_candidates AS
        SELECT DISTINCT request_index, source, request_id, failover_model
        FROM int_budget_members WHERE action = 'failover'
    """)
    present = {row[0] for row in con.execute("DESCRIBE requests").fetchall()}
    columns = []
    for name, sql_type in schema.duckdb_columns("requests").items():
        if name in _OVERRIDES:
            columns.append(f'{_OVERRIDES[name]} AS "{name}"')
        elif name in present:
            columns.append(f'CAST(requests."{name}" AS {sql_type}) AS "{name}"')
        else:
            columns.append(f'CAST(NULL AS {sql_type}) AS "{name}"')
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE lake_requests AS
        SELECT {', '.join(columns)}
        FROM budget_failover_candidates AS candidates
        INNER JOIN requests
            ON requests.source = candidates.source
            AND requests.request_id = candidates.request_id
    """)
    for view in ("lake_usage_buckets", "lake_quarantine", "lake_ingest_runs"):
        table = view.removeprefix("lake_")
        con.register(f"{view}_empty", schema.arrow_schema(table).empty_table())
        con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM {view}_empty")
        con.unregister(f"{view}_empty")
    book = pricing.load(home)
    con.register("pricing_rows", book.rows)
    con.register("pricing_aliases", book.aliases)
    con.register("attribution_rule_rows", attribution.load(home).table)
    con.register("committed_runs", pa.table({"run_id": pa.array([], pa.string())}))
    _define_views(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE budget_failover_costs AS
        SELECT
            candidates.request_index,
            candidates.source,
            candidates.request_id,
            candidates.failover_model,
            priced.failover_cost_usd,
            priced.failover_unpriced_reason
        FROM budget_failover_candidates AS candidates
        INNER JOIN (
            SELECT source, request_id, model_raw, any_value(cost_usd) AS failover_cost_usd,
                any_value(unpriced_reason) AS failover_unpriced_reason
            FROM int_requests__priced
            GROUP BY source, request_id, model_raw
        ) AS priced
            ON priced.source = candidates.source
            AND priced.request_id = candidates.request_id
            AND priced.model_raw = candidates.failover_model
    """)
