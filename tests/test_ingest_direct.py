"""The direct ingest path: DuckDB reads a JSONL file itself and the rows are numbered after.

For adapters that give one row per record, in order (``Source.one_row_per_record``), ingest
lets DuckDB read the whole file in one parallel pass instead of splitting it into chunks in
Python (pipelines/ingest.py, ``Ingestor._load_direct``). It has no line numbers of its own, so
these tests pin down what must never differ from the chunked path: every row's line, every
quarantine reason, every loaded value, for every source that takes the direct path; and that
any file the direct path cannot number exactly (blank lines, broken JSON, a line that is not an
object, bytes that are not UTF-8, gzip, excerpts on) goes through the chunked path instead.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from conftest import write_jsonl
from fuzz_records import SEEDS, paths, set_at
from test_adapters_litellm import spend_log_row

from pipelines.ingest import (
    DIRECT_PATH_PROGRESS,
    FileResult,
    Ingestor,
    file_digest,
    ingest_paths,
)
from pipelines.lake import QUARANTINE, Lake
from pipelines.paths import Home
from pipelines.sources import SOURCES

DIRECT_SOURCES = sorted(name for name, source in SOURCES.items() if source.one_row_per_record)
# Replacement values that keep a record valid JSON but break a field: the adapter's own
# checks must quarantine or load them identically on both paths.
ODD_VALUES = [-7, "12", "x", None, 1.5, [], {}, 10**20, "2025-13-01T00:00:00Z"]


def _ingest(home: Home, path: Path, source: str) -> tuple[FileResult, list[str]]:
    messages: list[str] = []
    (result,) = ingest_paths([path], home, source=source, progress=messages.append)
    return result, messages


def _went_direct(messages: list[str]) -> bool:
    return any(DIRECT_PATH_PROGRESS in m for m in messages)


def _lake_rows(home: Home, table: str, order: str) -> list[tuple]:
    """A lake table's rows, without the ingest's own timestamp."""
    files = [str(f.path) for f in Lake(home.lake).files(table)]
    if not files:
        return []
    stamp = "quarantined_at" if table == QUARANTINE else "ingested_at"
    with duckdb.connect() as con:
        return con.execute(
            f"SELECT * EXCLUDE ({stamp}) FROM read_parquet(?, union_by_name = true) "
            f"ORDER BY {order}", [files]).fetchall()


def _mutated_records(source: str) -> list[dict]:
    """Every seed of the source, then copies of it with one field broken at a time."""
    records: list[dict] = []
    for s, seed in enumerate(SEEDS[source]):
        records.append(seed.make(f"{s}-clean"))
        template = seed.make("probe")
        nodes = paths(template)
        for p, path in enumerate(nodes[::max(1, len(nodes) // 40)]):
            record = seed.make(f"{s}-{p}")
            set_at(record, path, ODD_VALUES[p % len(ODD_VALUES)])
            records.append(record)
    records.append(records[0])  # a retried write
    return records


def test_the_direct_path_covers_the_line_per_request_sources():
    assert DIRECT_SOURCES == ["anthropic", "gemini", "helicone", "litellm", "openai", "portkey"]


@pytest.mark.parametrize("source", DIRECT_SOURCES)
def test_direct_and_chunked_paths_give_the_same_lake(tmp_path, monkeypatch, source):
    if source not in SEEDS:
        pytest.skip(f"no JSON seeds for {source}")
    monkeypatch.setenv("LLMCOST_KEY_SALT", "one salt for both homes")
    records = _mutated_records(source)
    path = write_jsonl(tmp_path / f"{source}.jsonl", records)

    direct_home = Home(tmp_path / "direct")
    direct, messages = _ingest(direct_home, path, source)
    assert _went_direct(messages), messages

    monkeypatch.setattr(Ingestor, "_load_direct", lambda self, *args: False)
    chunked_home = Home(tmp_path / "chunked")
    chunked, messages = _ingest(chunked_home, path, source)
    assert not _went_direct(messages)

    counts = ("records_read", "records_loaded", "records_duplicate", "records_quarantined")
    assert [getattr(direct, c) for c in counts] == [getattr(chunked, c) for c in counts]
    assert direct.records_read == len(records)
    assert direct.records_duplicate >= 1
    assert direct.records_quarantined >= 1 and direct.records_loaded >= len(SEEDS[source])
    assert (_lake_rows(direct_home, "requests", "source_line")
            == _lake_rows(chunked_home, "requests", "source_line"))
    assert (_lake_rows(direct_home, QUARANTINE, "source_line, source_item")
            == _lake_rows(chunked_home, QUARANTINE, "source_line, source_item"))


def _spend_log(line: int, prompt_tokens: int = 1000) -> dict:
    return spend_log_row(
        f"line-{line}",
        usage_object={"prompt_tokens": prompt_tokens, "completion_tokens": 30,
                      "total_tokens": prompt_tokens + 30})


def test_direct_path_numbers_every_row_by_its_line(tmp_path):
    """60,000 lines, ~90 MB: DuckDB reads the file in several buffers on both threads. Each
    loaded row's source_line is the line its request id names; a reject and a duplicate keep
    their own lines."""
    template = json.dumps(_spend_log(0)).replace('"line-0"', '"line-{line}"')
    assert template.count("{line}") == 1
    lines = [template.replace("{line}", str(line)) for line in range(1, 60_001)]
    lines[1233] = json.dumps(_spend_log(1234, prompt_tokens=-5))  # negative tokens
    lines[54_099] = lines[16]  # line 54,100 repeats line 17
    path = write_jsonl(tmp_path / "spend.jsonl", lines)
    assert path.stat().st_size > 64 * 2**20
    home = Home(tmp_path / "home")
    result, messages = _ingest(home, path, "litellm")
    assert _went_direct(messages)
    assert (result.records_read, result.records_loaded, result.records_duplicate,
            result.records_quarantined) == (60_000, 59_998, 1, 1)

    with duckdb.connect() as con:
        loaded = con.execute(
            "SELECT request_id, source_line FROM read_parquet(?) ORDER BY source_line",
            [[str(f.path) for f in Lake(home.lake).files("requests")]]).fetchall()
        quarantined = con.execute(
            "SELECT source_line, request_id, reason_code, reason FROM read_parquet(?) "
            "ORDER BY source_line",
            [[str(f.path) for f in Lake(home.lake).files(QUARANTINE)]]).fetchall()
    assert len(loaded) == 59_998
    assert all(request_id == f"line-{line}" for request_id, line in loaded)
    assert quarantined == [
        (1234, "line-1234", "invalid_tokens", "prompt_tokens is negative (-5)"),
        (54_100, "line-17", "duplicate", "duplicate of line-17 at line 17 of this file"),
    ]


@pytest.mark.parametrize("case", ["blank_line", "malformed", "array", "not_utf8", "crlf_blank",
                                  "gzip", "excerpts"])
def test_files_the_direct_path_cannot_number_take_the_chunked_path(tmp_path, monkeypatch,
                                                                   case):
    lines: list = [_spend_log(line) for line in range(1, 301)]
    expected_rejects: dict[int, str] = {}
    name = "spend.jsonl"
    if case == "blank_line":
        lines[99] = "   "
    elif case == "malformed":
        lines[99] = json.dumps(_spend_log(100))[:70]
        expected_rejects[100] = "malformed_json"
    elif case == "array":
        lines[99] = "[1, 2]"
        expected_rejects[100] = "not_a_record"
    elif case == "not_utf8":
        lines[99] = json.dumps(_spend_log(100)).encode().replace(b"line-100", b"line-\xff100")
        expected_rejects[100] = "unreadable"
    elif case == "crlf_blank":
        lines[99] = "\r"
    elif case == "excerpts":
        monkeypatch.setenv("LLMCOST_STORE_TEXT", "1")
        lines[99] = _spend_log(100, prompt_tokens=-1)
        expected_rejects[100] = "invalid_tokens"
    path = write_jsonl(tmp_path / name, lines)
    if case == "gzip":
        gz = tmp_path / "spend.jsonl.gz"
        gz.write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
        path = gz
    home = Home(tmp_path / "home")
    result, messages = _ingest(home, path, "litellm")
    assert not _went_direct(messages), messages
    blank = case in ("blank_line", "crlf_blank")
    assert result.records_read == 300 - blank
    assert result.records_quarantined == len(expected_rejects)
    con = duckdb.connect()
    files = [str(f.path) for f in Lake(home.lake).files("requests")]
    loaded = con.execute("SELECT request_id, source_line FROM read_parquet(?)",
                         [files]).fetchall()
    assert len(loaded) == 300 - blank - len(expected_rejects)
    assert all(request_id == f"line-{line}" for request_id, line in loaded)
    if expected_rejects:
        quarantined = con.execute(
            "SELECT source_line, reason_code, excerpt FROM read_parquet(?)",
            [[str(f.path) for f in Lake(home.lake).files(QUARANTINE)]]).fetchall()
        assert [(line, code) for line, code, _ in quarantined] == list(expected_rejects.items())
        if case == "excerpts":
            assert quarantined[0][2].startswith('{"')


def test_a_path_duckdb_would_read_as_a_glob_takes_the_chunked_path(tmp_path):
    """DuckDB expands * ? [...] in a path: f[1].jsonl would read its neighbour f1.jsonl."""
    folder = tmp_path / "in"
    write_jsonl(folder / "f1.jsonl", [_spend_log(line) for line in (101, 102, 103)])
    odd = write_jsonl(folder / "f[1].jsonl", [_spend_log(line) for line in (1, 2, 3)])
    home = Home(tmp_path / "home")
    result, messages = _ingest(home, odd, "litellm")
    assert not _went_direct(messages)
    with duckdb.connect() as con:
        loaded = con.execute(
            "SELECT request_id, source_line FROM read_parquet(?) ORDER BY 2",
            [[str(f.path) for f in Lake(home.lake).files("requests")]]).fetchall()
    assert loaded == [("line-1", 1), ("line-2", 2), ("line-3", 3)]


@pytest.mark.parametrize(("content", "lines", "blank"), [
    (b'{"a":1}\n{"a":2}\n', 2, False),
    (b'{"a":1}\n{"a":2}', 2, False),
    (b'{"a":1}\r\n{"a":2}\r\n', 2, False),
    (b'{"a":1}\n\n{"a":2}\n', 3, True),
    (b'{"a":1}\n\r\n{"a":2}\n', 3, True),
    (b'\n{"a":1}\n', 2, True),
    (b'\r\n{"a":1}\n', 2, True),
    (b'{"a":1}\n  \n', 2, False),  # spaces only: left to the direct path's row count
    (b"", 0, False),
])
def test_file_digest_counts_lines_and_sees_empty_ones(tmp_path, content, lines, blank):
    path = tmp_path / "f.jsonl"
    path.write_bytes(content)
    digest = file_digest(path)
    assert (digest.lines, digest.blank_line) == (lines, blank)
    assert digest.sha256 == hashlib.sha256(content).hexdigest()


BLOCK = 8 * 1024 * 1024  # file_digest reads this much at a time


@pytest.mark.parametrize(("seam", "blank"), [
    (b"\n|\n", True),
    (b"\n\r|\n", True),
    (b"\n|\r\n", True),
    (b"\r\n|{", False),
    (b"\n|{", False),
])
def test_file_digest_sees_an_empty_line_across_its_read_blocks(tmp_path, seam, blank):
    before, after = seam.split(b"|")
    content = b"x" * (BLOCK - len(before)) + before + after + b'{"a":1}\n'
    path = tmp_path / "f.jsonl"
    path.write_bytes(content)
    digest = file_digest(path)
    assert (digest.lines, digest.blank_line) == (content.count(b"\n"), blank)
