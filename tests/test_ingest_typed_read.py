"""The direct path's typed read, and the content hash computed while DuckDB reads the file.

LiteLLM's SpendLogs rows are parsed by DuckDB straight into the adapter's struct
(pipelines/typed_read.py) instead of being read as text and parsed again. That read is
stricter than the adapter's own ``from_json``: a record where LiteLLM (or a custom logger)
wrote ``hidden_params`` as a string, or repeated a key, makes it fail. Such a file must load
exactly what the chunked path loads, never lose or change a row. The content hash now runs
while DuckDB parses, so a copy of a file already ingested is only recognised after the read:
it must still be skipped with nothing written.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from conftest import write_jsonl
from test_adapters_litellm import spend_log_row

from pipelines.ingest import (
    DIRECT_PATH_PROGRESS,
    TYPED_READ_PROGRESS,
    Ingestor,
    ingest_paths,
)
from pipelines.lake import INGEST_RUNS, QUARANTINE, Lake
from pipelines.paths import Home
from pipelines.sources import SOURCES
from pipelines.typed_read import duckdb_type, typed_read

USAGE = {"prompt_tokens": 1000, "completion_tokens": 30, "total_tokens": 1030}


def _rows(n: int) -> list[dict]:
    return [spend_log_row(f"line-{line}", usage_object=USAGE) for line in range(1, n + 1)]


def _ingest(home: Home, path) -> tuple:
    messages: list[str] = []
    (result,) = ingest_paths([path], home, source="litellm", progress=messages.append)
    return result, messages


def _lake(home: Home, table: str, order: str) -> list[tuple]:
    files = [str(f.path) for f in Lake(home.lake).files(table)]
    stamp = "quarantined_at" if table == QUARANTINE else "ingested_at"
    with duckdb.connect() as con:
        return con.execute(f"SELECT * EXCLUDE ({stamp}) FROM read_parquet(?) ORDER BY {order}",
                           [files]).fetchall() if files else []


def test_duckdb_type_of_a_from_json_spec():
    spec = {"a": "VARCHAR", "b": {"c": "JSON"}, "d": ["BIGINT"], 'e"f': "DOUBLE"}
    assert duckdb_type(spec) == ('STRUCT("a" VARCHAR, "b" STRUCT("c" JSON), "d" BIGINT[], '
                                 '"e""f" DOUBLE)')
    with pytest.raises(ValueError):
        duckdb_type({"a": "VARCHAR'); DROP TABLE x; --"})


def test_typed_read_only_where_the_record_text_has_no_other_use():
    typed = {name for name, source in SOURCES.items()
             if source.one_row_per_record and typed_read(source.sql())}
    assert typed == {"litellm"}
    assert typed_read("SELECT from_json(doc, '{\"a\": \"VARCHAR\"}') AS f, raw FROM records") \
        is None
    assert typed_read("SELECT from_json(doc, '{\"a\": \"VARCHAR\"}') AS f, doc FROM records") \
        is None
    rewritten = typed_read("SELECT source_line, from_json(doc, '{\"a\": \"VARCHAR\"}') AS f "
                           "FROM records")
    assert rewritten.adapter_sql == "SELECT source_line, record AS f FROM records"
    assert rewritten.record_type == 'STRUCT("a" VARCHAR)'


def test_spend_logs_are_parsed_straight_into_the_adapters_struct(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMCOST_KEY_SALT", "one salt")
    path = write_jsonl(tmp_path / "spend.jsonl", _rows(50))
    result, messages = _ingest(Home(tmp_path / "home"), path)
    assert any(DIRECT_PATH_PROGRESS in m and TYPED_READ_PROGRESS in m for m in messages)
    assert (result.records_read, result.records_loaded) == (50, 50)
    files = [str(f.path) for f in Lake(Home(tmp_path / "home").lake).files("requests")]
    with duckdb.connect() as con:
        first = con.execute("SELECT request_id, source_line FROM read_parquet(?) "
                            "ORDER BY source_line LIMIT 2", [files]).fetchall()
    assert first == [("line-1", 1), ("line-2", 2)]


@pytest.mark.parametrize("odd", ["hidden_params_string", "repeated_key", "null_line"])
def test_a_record_the_typed_read_refuses_loads_as_the_chunked_path_loads_it(
        tmp_path, monkeypatch, odd):
    monkeypatch.setenv("LLMCOST_KEY_SALT", "one salt")
    lines = [json.dumps(row) for row in _rows(40)]
    if odd == "hidden_params_string":
        lines[6] = json.dumps(spend_log_row("line-7", usage_object=USAGE,
                                            hidden_params="not an object"))
    elif odd == "repeated_key":
        lines[6] = lines[6].replace('{"', '{"model": "gpt-4o-mini", "', 1)
    else:
        lines[6] = "null"
    path = write_jsonl(tmp_path / "spend.jsonl", lines)

    direct_home = Home(tmp_path / "direct")
    direct, messages = _ingest(direct_home, path)
    assert not any(TYPED_READ_PROGRESS in m for m in messages)
    assert any(DIRECT_PATH_PROGRESS in m for m in messages) == (odd != "null_line")

    monkeypatch.setattr(Ingestor, "_load_direct", lambda self, *args: False)
    chunked_home = Home(tmp_path / "chunked")
    chunked, _ = _ingest(chunked_home, path)
    counts = ("records_read", "records_loaded", "records_duplicate", "records_quarantined")
    assert [getattr(direct, c) for c in counts] == [getattr(chunked, c) for c in counts]
    assert direct.records_read == 40
    assert direct.records_loaded == (39 if odd == "null_line" else 40)
    assert (_lake(direct_home, "requests", "source_line")
            == _lake(chunked_home, "requests", "source_line"))
    assert (_lake(direct_home, QUARANTINE, "source_line")
            == _lake(chunked_home, QUARANTINE, "source_line"))


def test_a_copy_of_an_ingested_file_is_skipped_after_the_concurrent_hash(tmp_path):
    home = Home(tmp_path / "home")
    path = write_jsonl(tmp_path / "spend.jsonl", _rows(30))
    copy = tmp_path / "elsewhere" / "renamed.jsonl"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    first, _ = _ingest(home, path)
    again, _ = _ingest(home, path)  # same path and size: hashed first, never read
    renamed, _ = _ingest(home, copy)  # read while hashing, then recognised
    assert (first.status, again.status, renamed.status) == ("loaded", "skipped", "skipped")
    assert renamed.note == f"already ingested (same content as {path})"
    assert len(Lake(home.lake).files(INGEST_RUNS)) == 1
    assert len(_lake(home, "requests", "source_line")) == 30
    assert not (home.lake / "_staging").exists() or not any((home.lake / "_staging").iterdir())
