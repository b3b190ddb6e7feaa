"""The adapter contract shared by every source module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.paths import SOURCES_SQL_DIR

Signature = Callable[[dict], float]


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    formats: str
    signature: Signature
    table: str = "requests"
    # The adapter is a pure projection of `records` (no filter, union, join or unnest): each
    # record gives exactly one row, in order. Ingest may then let DuckDB read a JSONL file
    # itself, in parallel, and number the rows afterwards (pipelines/ingest.py, direct path).
    one_row_per_record: bool = False
    # Rows are trace spans: request_id = <trace id>:<span id>, tags['parent_span_id'] the
    # parent. Ingest then keeps a parent span whose children report their own usage from
    # counting it twice across documents and files (Ingestor._mark_parent_spans).
    spans: bool = False
    # For a file no source recognises: why this source would not take it (None when the
    # record does not even look like its format), e.g. the header columns a CSV export lacks.
    refusal: Callable[[dict], str | None] | None = None

    @property
    def sql_path(self) -> Path:
        return SOURCES_SQL_DIR / f"{self.name}.sql"

    def sql(self) -> str:
        return _read(self.sql_path)

    def canonical_sql(self) -> str:
        return _read(SOURCES_SQL_DIR / f"canonical_{self.table}.sql")


@cache
def _read(path: Path) -> str:
    return path.read_text()


def macros_sql() -> str:
    return _read(SOURCES_SQL_DIR / "macros.sql")



def body_of(record: dict) -> dict:
    """The response body of an SDK capture: the envelope's ``response``, or the record."""
    body = record.get("response")
    return body if isinstance(body, dict) else record
