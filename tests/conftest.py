"""Shared fixtures for the adapter, bad-input and idempotency tests.

The recorded samples under ``tests/fixtures/`` are real provider responses copied byte-for-byte
(provenance in ``tests/fixtures/README.md``). Tests wrap those real bodies in the capture
envelope themselves, in ``tmp_path``, so every token number asserted comes from a real API
response and only timestamps and attribution are chosen by the test.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pipelines import warehouse
from pipelines.ingest import FileResult, ingest_paths
from pipelines.paths import Home

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_path(relative: str) -> Path:
    return FIXTURES / relative


def fixture_json(relative: str) -> Any:
    return json.loads(fixture_path(relative).read_text())


def recorded_bodies(relative: str) -> list[dict]:
    """The response bodies of a sample: a ``*.responses.json`` holds an array of
    {request_uri, status, response}; a ``*.response.json`` is one body. Deep copies, so a
    test may edit them."""
    document = fixture_json(relative)
    if isinstance(document, list):
        return [copy.deepcopy(entry["response"]) for entry in document]
    return [document]


def envelope(body: dict | None, *, request_id: str | None, started_at: str | None,
             ended_at: str | None = None, metadata: dict | None = None,
             request: dict | None = None, **extra: Any) -> dict:
    """The llmcost SDK capture envelope around a raw response body."""
    record: dict[str, Any] = {}
    if request_id is not None:
        record["request_id"] = request_id
    if started_at is not None:
        record["started_at"] = started_at
    if ended_at is not None:
        record["ended_at"] = ended_at
    record["status"] = "success"
    record["metadata"] = metadata or {}
    record["request"] = request or {}
    if body is not None:
        record["response"] = body
    record.update(extra)
    return record


def write_jsonl(path: Path, records: list[dict | str | bytes]) -> Path:
    """One record per line: dicts as compact JSON, str/bytes written as they are (for
    deliberately broken lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for record in records:
        if isinstance(record, bytes):
            lines.append(record)
        elif isinstance(record, str):
            lines.append(record.encode("utf-8"))
        else:
            lines.append(json.dumps(record).encode("utf-8"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def ingest(home: Home, paths: list[Path] | Path, source: str) -> list[FileResult]:
    if isinstance(paths, Path):
        paths = [paths]
    return ingest_paths(paths, home, source=source)


def query(home: Home, sql: str, params: list | None = None) -> list[dict]:
    """Rows of a read-only query on the built warehouse, as dicts. The connection is closed
    again so a later build can open the file for writing."""
    con = warehouse.open_read_only(home)
    try:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def request_row(home: Home, request_id: str) -> dict:
    rows = query(home, "SELECT * FROM requests WHERE request_id = ?", [request_id])
    assert len(rows) == 1, f"expected one requests row for {request_id}, got {len(rows)}"
    return rows[0]


def quarantine_rows(home: Home, source_file: Path | None = None) -> list[dict]:
    if source_file is None:
        return query(home, "SELECT * FROM quarantine ORDER BY source_file, source_line")
    return query(home, "SELECT * FROM quarantine WHERE source_file = ? ORDER BY source_line",
                 [str(source_file)])


def assert_balanced(result: FileResult) -> None:
    assert result.records_read == (
        result.records_loaded + result.records_duplicate + result.records_quarantined
    ), result


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


# The shared-warehouse tests run in their own environment (DuckDB with the DuckLake, Postgres
# and httpfs extension wheels, moto, dagster-postgres): `make test-scale`, which `make test`
# runs after this suite.
collect_ignore = [] if os.environ.get("LLMCOST_SCALE_TESTS") == "1" else ["scale"]
