"""The canonical tables' Arrow schemas, derived from the JSON Schemas in ``schemas/canonical``.

The JSON Schema is the single source of truth: each property carries ``x-arrow`` (its Parquet
type), so the lake's schema and the documentation never drift apart.
"""

from __future__ import annotations

import json
from functools import cache

import pyarrow as pa

from pipelines.paths import SCHEMAS_DIR

_ARROW_TYPES = {
    "string": pa.string(),
    "int64": pa.int64(),
    "bool": pa.bool_(),
    "float64": pa.float64(),
    "date": pa.date32(),
    "timestamp_utc": pa.timestamp("us", tz="UTC"),
    "map_string": pa.map_(pa.string(), pa.string()),
    "uint64": pa.uint64(),
    "float32_list": pa.list_(pa.float32()),
    "date_list": pa.list_(pa.date32()),
    "segment_list": pa.list_(pa.struct([("kind", pa.string()), ("chain_hash", pa.uint64()),
                                        ("tokens", pa.int64())])),
}

_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "bool": "BOOLEAN",
    "float64": "DOUBLE",
    "date": "DATE",
    "timestamp_utc": "TIMESTAMPTZ",
    "map_string": "MAP(VARCHAR, VARCHAR)",
    "uint64": "UBIGINT",
    "float32_list": "FLOAT[]",
    "date_list": "DATE[]",
    "segment_list": "STRUCT(kind VARCHAR, chain_hash UBIGINT, tokens BIGINT)[]",
}


@cache
def json_schema(table: str) -> dict:
    path = SCHEMAS_DIR / "canonical" / f"{table}.schema.json"
    return json.loads(path.read_text())


def _properties(table: str) -> dict[str, dict]:
    return json_schema(table)["properties"]


def arrow_schema(table: str) -> pa.Schema:
    schema = json_schema(table)
    required = set(schema.get("required", []))
    return pa.schema(
        [
            pa.field(name, _ARROW_TYPES[spec["x-arrow"]], nullable=name not in required)
            for name, spec in schema["properties"].items()
        ]
    )


def duckdb_columns(table: str) -> dict[str, str]:
    """Column name -> DuckDB type, in schema order (for CREATE TABLE and casts)."""
    return {name: _DUCKDB_TYPES[spec["x-arrow"]] for name, spec in _properties(table).items()}
