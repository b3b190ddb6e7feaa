"""Build a ``requests`` table in an in-memory DuckDB from a few hand-written rows, for the
budget and anomaly tests (the columns the budget SQL and the pricing views read)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa

from pipelines import db

COLUMNS = {
    "request_id": pa.string(), "source": pa.string(), "occurred_at": pa.timestamp("us", "UTC"),
    "usage_date": pa.date32(), "provider": pa.string(), "model": pa.string(),
    "model_raw": pa.string(), "service_tier": pa.string(), "status": pa.string(),
    "is_gateway_cache_hit": pa.bool_(), "team": pa.string(), "feature": pa.string(),
    "environment": pa.string(), "project": pa.string(), "user_id": pa.string(),
    "api_key_hash": pa.string(), "session_id": pa.string(), "prompt_hash": pa.uint64(),
    "input_tokens": pa.int64(), "cache_read_input_tokens": pa.int64(),
    "cache_creation_input_tokens": pa.int64(), "cache_creation_1h_input_tokens": pa.int64(),
    "output_tokens": pa.int64(), "reasoning_output_tokens": pa.int64(),
    "web_search_calls": pa.int64(), "cost_usd": pa.decimal128(38, 12), "is_priced": pa.bool_(),
}
DEFAULTS = {"source": "test", "provider": "openai", "model": "gpt-4o", "model_raw": "gpt-4o",
            "service_tier": "standard", "status": "success", "is_gateway_cache_hit": False,
            "team": "search", "feature": "qa", "environment": "production",
            "input_tokens": 1000, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0,
            "cache_creation_1h_input_tokens": 0, "output_tokens": 1000,
            "reasoning_output_tokens": 0, "web_search_calls": 0}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else \
        datetime.fromisoformat(text).astimezone(UTC)


def requests_table(rows: list[dict]) -> pa.Table:
    out = []
    for i, row in enumerate(rows):
        full = {**DEFAULTS, "request_id": f"r{i + 1:06d}", **row}
        occurred = full["occurred_at"]
        if isinstance(occurred, str):
            occurred = at(occurred)
        full["occurred_at"] = occurred
        full.setdefault("usage_date", occurred.astimezone(UTC).date())
        cost = full.get("cost_usd")
        full["cost_usd"] = None if cost is None else Decimal(str(cost))
        full.setdefault("is_priced", cost is not None)
        out.append({name: full.get(name) for name in COLUMNS})
    return pa.Table.from_pylist(out, schema=pa.schema(COLUMNS))


def connect_with(rows: list[dict]):
    con = db.connect()
    con.register("requests_rows", requests_table(rows))
    con.execute("CREATE TABLE requests AS SELECT * FROM requests_rows")
    con.unregister("requests_rows")
    return con
