"""The routed request's price row is chosen by the warehouse's own rule: the routing SQL
(sql/savings/routing_prices.sql) mirrors int_price_keys__matched, which it may not edit, so
this test runs both on the same price keys and requires the same row and the same reason.

Keys that trip real pricing: a long-context tier (Sonnet 4.5 above 200k input, until that tier
ended on 2026-04-30), a day before a model's first price (unpriced, with the date in the
reason), a price change mid-history (GPT-4o 2024-05-13 -> 2024-10-03), the batch tier, a tier a
model does not sell, a model nobody prices.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from pipelines import attribution, db, pricing, schema, warehouse
from pipelines.paths import SQL_DIR, Home

KEYS = [  # provider, model_raw, service_tier, usage_date, input_tokens
    ("anthropic", "claude-sonnet-4-5", "standard", date(2026, 11, 2), 1_000),
    ("anthropic", "claude-sonnet-4-5", "standard", date(2026, 1, 15), 250_000),
    ("anthropic", "claude-sonnet-4-5", "standard", date(2026, 11, 2), 250_000),
    ("anthropic", "claude-sonnet-4-5", "batch", date(2026, 11, 2), 250_000),
    ("anthropic", "claude-sonnet-4-5", "standard", date(2025, 9, 1), 1_000),
    ("openai", "gpt-4o", "standard", date(2024, 8, 1), 5_000),
    ("openai", "gpt-4o", "standard", date(2024, 11, 1), 5_000),
    ("openai", "gpt-4o", "flex", date(2024, 11, 1), 5_000),
    ("openai", "gpt-5.4", "standard", date(2026, 11, 2), 300_000),
    ("anthropic", "claude-haiku-9", "standard", date(2026, 11, 2), 1_000),
]


def test_routing_price_choice_agrees_with_the_warehouse(tmp_path):
    home = Home(tmp_path / "home")
    home.ensure()
    rows = [{"source": "test", "request_id": f"r{i}", "provider": provider,
             "model_raw": model, "service_tier": tier, "usage_date": day,
             "input_tokens": tokens, "output_tokens": 10, "status": "success"}
            for i, (provider, model, tier, day, tokens) in enumerate(KEYS)]
    con = db.connect()
    book = pricing.load(home)
    con.register("pricing_rows", book.rows)
    con.register("pricing_aliases", book.aliases)
    con.register("attribution_rule_rows", attribution.load(home).table)
    requests = pa.Table.from_pylist(rows, schema=schema.arrow_schema("requests"))
    con.register("lake_requests", requests)
    con.register("lake_usage_buckets", schema.arrow_schema("usage_buckets").empty_table())
    con.register("lake_quarantine", schema.arrow_schema("quarantine").empty_table())
    con.register("lake_ingest_runs", schema.arrow_schema("ingest_runs").empty_table())
    warehouse._define_views(con)
    con.execute("CREATE TEMP TABLE routing_price_keys AS SELECT DISTINCT provider, model, "
                "service_tier, priced_date, tier_floor FROM int_price_keys__matched")
    routed = (SQL_DIR / "savings" / "routing_prices.sql").read_text()
    compared = con.execute(f"""
        SELECT warehouse.provider, warehouse.model, warehouse.service_tier,
               warehouse.priced_date, warehouse.tier_floor,
               warehouse.price_id, routed.price_id,
               warehouse.no_price_reason, routed.no_price_reason,
               warehouse.output_usd_per_token, routed.output_usd_per_token
        FROM int_price_keys__matched AS warehouse
        JOIN ({routed}) AS routed USING (provider, model, service_tier, priced_date, tier_floor)
        ORDER BY ALL
    """).fetchall()
    assert len(compared) == len(KEYS)
    for row in compared:
        assert row[5] == row[6] and row[7] == row[8] and row[9] == row[10], row
    by_key = {(r[1], r[2], r[3], r[4]): (r[5], r[7]) for r in compared}
    assert by_key[("claude-sonnet-4-5", "standard", date(2026, 1, 15), 200_000)][0] == (
        "anthropic/claude-sonnet-4-5/standard/200000/2025-09-29")
    assert by_key[("gpt-4o", "standard", date(2024, 11, 1), 0)][0] == (
        "openai/gpt-4o/standard/0/2024-10-03")
    assert by_key[("claude-haiku-9", "standard", date(2026, 11, 2), 0)] == (
        None, "no price for model anthropic/claude-haiku-9")
    assert by_key[("claude-sonnet-4-5", "standard", date(2025, 9, 1), 0)][1].startswith(
        "no price for anthropic/claude-sonnet-4-5 (standard) effective on 2025-09-01")
