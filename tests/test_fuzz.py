"""Property-based tests: hostile input never crashes an ingest, never loses a record and never
counts one twice, for every source.

Each hypothesis example writes ONE file (ingest is per file, so many mutated records are
batched into it) mixing valid seed records (tests/fuzz_records.py: built from the real fixtures
and the adapter tests' records) with mutated ones: the JSON text truncated at a random byte, a
node replaced by a value of another type (huge and negative numbers, 1e308, NaN literals,
NaN-like strings, lone surrogates, lists, objects), deeply nested values (depth 500), 1 MB
strings and 5,000-key objects, duplicate keys in the raw text, invalid UTF-8 bytes, timestamps
in odd zones (+14:00, -12:00, +05:45, Z, none, a leap second), records that are not objects,
blank lines and CRLF line ends. For every example:

- the ingest does not raise and the file is ``loaded``;
- read = loaded + duplicates + quarantined, and read is the number of non-blank lines written
  (one-record-per-line sources); every line ends in exactly one place (lake or quarantine);
  for multi-item sources (OTLP documents, usage pages) every line that is not a JSON object is
  quarantined and every valid seed yields all its items;
- the lake holds exactly ``records_loaded`` rows, no key twice, no negative token count;
- every quarantine row has a reason code and a reason;
- each valid seed line loads with exactly the token numbers it loads with alone (a broken
  neighbour changes nothing);
- ingesting the same records again (another file: one more blank line) loads nothing new: the
  loaded rows come back as duplicates, the quarantined ones as quarantined.

``pytest -s`` prints how many generated cases and records ran, and how many were lost.
Bugs the fuzzing found outside the adapter SQL have regression tests at the end.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fuzz_records import (
    CSV_SEEDS,
    KEY,
    MULTI_ITEM,
    ODD_CLOCKS,
    ODD_DATES,
    ODD_ZONES,
    SEEDS,
    TIMESTAMP,
    TOKEN_COLUMNS,
    get_at,
    nested,
    nested_text,
    object_paths,
    paths,
    pretty_json_with_duplicate,
    set_at,
    table_of,
    timestamp_paths,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipelines.ingest import FileResult, ingest_paths
from pipelines.paths import Home

# Deterministic by default, so the suite stays green or red for a reason; set
# LLMCOST_FUZZ_EXAMPLES (e.g. 200) for a longer, randomised exploration.
EXPLORE = int(os.environ.get("LLMCOST_FUZZ_EXAMPLES", "0"))
EXAMPLES = EXPLORE or 4
CSV_EXAMPLES = EXPLORE or 5
# No shrinking: a failing file is megabytes of JSON and shrinking it takes minutes; the
# failing example is printed as generated.
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not EXPLORE,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CSV_SETTINGS = settings(SETTINGS, max_examples=CSV_EXAMPLES)

STATS: Counter = Counter()

# -- values a node is replaced with ------------------------------------------------------

HUGE = [2**31, 2**53 + 1, 2**62, 2**63 - 1, 2**63, 2**64, 2**70, -(2**63), -(2**70), 10**30]
SPECIAL_FLOATS = [1e308, -1e308, 5e-324, -0.0, 1.5, 0.1 + 0.2, 1e18, 9.3e18]
ODD_STRINGS = ["", " ", "NaN", "nan", "Infinity", "-Infinity", "1e309", "1e308", "0x10",
               "\uff11\uff12\uff13", "12a", "-5", "99999999999999999999", "null", "None",
               "true", "\u0000", "\ud800", "\U0001f4a5", "\u202e", '{"a": 1}', "[1,2]",
               "2025-11-20T10:00:00Z", "1", "-0", "+1", " 7 ", "1_000", "١٢٣"]

weird_values = st.one_of(
    st.sampled_from([None, True, False, 0, -1, -5, [], {}, [1, 2], {"a": 1}]),
    st.sampled_from(HUGE),
    st.sampled_from(SPECIAL_FLOATS),
    st.sampled_from([math.nan, math.inf, -math.inf]),  # json.dumps writes NaN / Infinity
    st.sampled_from(ODD_STRINGS),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)

BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\x80", b"\xc3", b"\xc3(", b"\xc0\xaf", b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80", b"\xe2\x82", b"caf\xe9", b"\xf0\x9f\x92"]
NOT_OBJECTS = ["[1, 2, 3]", "[]", '"text"', "null", "42", "true", "{}", "NaN",
               '{"a": NaN}', '{"a": Infinity}', "{,}", "}", "{{}}", '{"a" 1}', "\ufeff{}"]
BLANKS = [b"", b"   ", b"\t", b"\r", b" \r", b"\t \t"]
# JSON whitespace before a record: legal JSON, see test_leading_json_whitespace_* below.
LEADING_WS = [b" ", b"  ", b"\t", b"\r"]

KINDS = ["valid", "valid", "valid", "truncate", "retype", "retype", "odd_time", "odd_time",
         "deep", "enormous", "dup_key", "bad_utf8", "not_object", "leading_ws"]
# At most this many 1 MB values per file, to keep the runtime bounded.
MAX_ENORMOUS = 2


def _dumps(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", errors="surrogatepass")


def _odd_time(draw, original: str) -> str:
    match = TIMESTAMP.match(original)
    date = draw(st.sampled_from([match.group(1), *ODD_DATES]))
    clock = draw(st.sampled_from([match.group(2), *ODD_CLOCKS]))
    sep = draw(st.sampled_from(["T", " ", "t"]))
    frac = draw(st.sampled_from(["", match.group(3) or "", ".123", ".123456789"]))
    zone = draw(st.sampled_from(ODD_ZONES))
    return f"{date}{sep}{clock}{frac}{zone}"


TIME_KEY = re.compile(r"time|created|_at$|timestamp", re.IGNORECASE)


def _avoid_known_crash(source: str, path: tuple, value: Any) -> Any:
    return value


def mutate(draw, record: dict, kind: str, budget: Counter, source: str = "") -> bytes:
    """One line (no newline) of ``record`` mutated by ``kind``."""
    nodes = paths(record)
    if kind == "truncate":
        text = _dumps(record)
        return text[: draw(st.integers(1, len(text) - 1))]
    if kind == "retype":
        where = draw(st.sampled_from(nodes))
        set_at(record, where, _avoid_known_crash(source, where, draw(weird_values)))
        return _dumps(record)
    if kind == "odd_time":
        stamps = timestamp_paths(record)
        if stamps:
            where = draw(st.sampled_from(stamps))
            set_at(record, where, _odd_time(draw, get_at(record, where)))
        else:  # epoch times: numbers out of range, strings, fractions
            epoch = [p for p in nodes if isinstance(get_at(record, p), int | float)
                     and not isinstance(get_at(record, p), bool)
                     and abs(get_at(record, p)) > 10**8]
            where = draw(st.sampled_from(epoch or nodes))
            value = draw(st.sampled_from(
                [-1, 0, 2**63 - 1, 2**70, 1e308, -1e308, 253402300800, -62135596801,
                 "1730419200", "2025-11-20T10:00:00+14:00", 1730419200.999999]))
            set_at(record, where, _avoid_known_crash(source, where, value))
        return _dumps(record)
    if kind == "deep":
        depth = draw(st.sampled_from([50, 500]))
        shape = draw(st.sampled_from(["object", "list"]))
        marker = "\u0001DEEP\u0001"
        set_at(record, draw(st.sampled_from(nodes)), marker)
        return _dumps(record).replace(json.dumps(marker).encode(),
                                      nested_text(depth, shape).encode())
    if kind == "enormous":
        budget["enormous"] += 1
        if budget["enormous"] > MAX_ENORMOUS:
            set_at(record, draw(st.sampled_from(nodes)), nested(20, "object"))
            return _dumps(record)
        value = draw(st.sampled_from([
            "x" * 1_000_000, "\u00e9" * 500_000, {f"k{i}": i for i in range(5_000)},
            list(range(50_000))]))
        set_at(record, draw(st.sampled_from(nodes)), value)
        return _dumps(record)
    if kind == "dup_key":
        where = draw(st.sampled_from(object_paths(record)))
        existing = list(get_at(record, where))
        key = draw(st.sampled_from(existing)) if existing else "k"
        extra = _avoid_known_crash(source, (*where, key), draw(weird_values))
        text = pretty_json_with_duplicate(record, where, key, extra, draw(st.booleans()))
        return text.encode("utf-8", errors="surrogatepass")
    if kind == "bad_utf8":
        text = _dumps(record)
        cut = draw(st.integers(1, len(text) - 1))
        return text[:cut] + draw(st.sampled_from(BAD_UTF8)) + text[cut:]
    if kind == "not_object":
        return draw(st.sampled_from(NOT_OBJECTS)).encode()
    if kind == "leading_ws":
        return draw(st.sampled_from(LEADING_WS)) + _dumps(record)
    return _dumps(record)


# -- running one file ---------------------------------------------------------------------

def _lake(home: Home, table: str) -> list[dict]:
    root = home.lake / table
    if not any(root.rglob("*.parquet")):
        return []
    con = duckdb.connect()
    try:
        cursor = con.execute("SELECT * FROM read_parquet(?, hive_partitioning = true)",
                             [str(root / "**" / "*.parquet")])
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _tokens(row: dict, table: str) -> tuple:
    return tuple(row[c] for c in TOKEN_COLUMNS[table])


@cache
def _baseline(source: str) -> dict[str, list[tuple]]:
    """Seed name -> the sorted token tuples its items load with, when ingested alone."""
    table = table_of(source)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seeds.jsonl"
        path.write_bytes(b"\n".join(_dumps(s.make(f"base{i}"))
                                    for i, s in enumerate(SEEDS[source])) + b"\n")
        home = Home(Path(tmp) / "home")
        (result,) = ingest_paths([path], home, source=source)
        assert result.records_quarantined == 0, result
        by_line: dict[int, list[tuple]] = {}
        for row in _lake(home, table):
            by_line.setdefault(row["source_line"], []).append(_tokens(row, table))
        return {s.name: sorted(by_line.get(i, []))
                for i, s in enumerate(SEEDS[source], start=1)}


def _is_object_line(line: bytes) -> bool:
    """Whether a line is a JSON object by the strictest reading (UTF-8, no NaN literals)."""
    def no_constants(name: str) -> Any:
        raise ValueError(name)
    try:
        return isinstance(json.loads(line.decode("utf-8"), parse_constant=no_constants), dict)
    except (ValueError, RecursionError):
        return False


def check_file(home: Home, path: Path, source: str, *, expected_lines: list[int],
               object_lines: set[int], valid_lines: dict[int, str]) -> FileResult:
    """Ingest ``path`` and check every invariant; returns the result."""
    table = table_of(source)
    key = KEY[table]
    (result,) = ingest_paths([path], home, source=source)
    assert result.status == "loaded", result
    assert result.records_read == (result.records_loaded + result.records_duplicate
                                   + result.records_quarantined), result

    lake = [r for r in _lake(home, table) if r["source_file"] == str(path)]
    quarantine = [r for r in _lake(home, "quarantine") if r["source_file"] == str(path)]
    assert len(lake) == result.records_loaded, result
    assert len(quarantine) == result.records_duplicate + result.records_quarantined, result
    assert sum(q["reason_code"] == "duplicate" for q in quarantine) == result.records_duplicate
    keys = Counter(r[key] for r in _lake(home, table))
    assert not [k for k, n in keys.items() if n > 1], "a key loaded twice"
    for row in lake:
        for column in TOKEN_COLUMNS[table]:
            assert row[column] is None or row[column] >= 0, (column, row)
    for row in quarantine:
        assert row["reason_code"] and row["reason"], row

    places = Counter(r["source_line"] for r in lake) + Counter(
        r["source_line"] for r in quarantine)
    if source in MULTI_ITEM:
        lost = [n for n in expected_lines if n not in places and n not in object_lines]
        assert set(places) <= set(expected_lines), "a row with a line that was never written"
    else:
        assert result.records_read == len(expected_lines), result
        lost = [n for n in expected_lines if places[n] != 1]
        assert set(places) == set(expected_lines)
    STATS["records lost"] += len(lost)
    assert not lost, f"lines not accounted for exactly once: {lost[:20]}"

    baseline = _baseline(source)
    loaded_by_line: dict[int, list[tuple]] = {}
    for row in lake:
        loaded_by_line.setdefault(row["source_line"], []).append(_tokens(row, table))
    for line, seed_name in valid_lines.items():
        assert sorted(loaded_by_line.get(line, [])) == baseline[seed_name], (line, seed_name)
    return result


def check_reingest(home: Home, path: Path, source: str, first: FileResult) -> None:
    """The same records in another file (one more blank line) load nothing new."""
    again = path.with_name("again_" + path.name)
    again.write_bytes(path.read_bytes() + b"\n")
    (result,) = ingest_paths([again], home, source=source)
    assert result.status == "loaded", result
    assert result.records_loaded == 0, result
    assert result.records_duplicate == first.records_loaded + first.records_duplicate, result
    assert result.records_quarantined == first.records_quarantined, result
    table = table_of(source)
    keys = Counter(r[KEY[table]] for r in _lake(home, table))
    assert sum(keys.values()) == first.records_loaded
    STATS["re-ingests"] += 1


# -- the JSONL property -------------------------------------------------------------------

@st.composite
def jsonl_file(draw, source: str) -> tuple[bytes, list[int], set[int], dict[int, str]]:
    """(file bytes, non-blank line numbers, lines that are JSON objects, valid line -> seed)."""
    seeds = SEEDS[source]
    count = draw(st.integers(5, 30))
    crlf = draw(st.booleans())
    budget: Counter = Counter()
    lines: list[bytes] = []
    expected: list[int] = []
    objects: set[int] = set()
    valid: dict[int, str] = {}
    for index in range(count):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(BLANKS)))
        seed = draw(st.sampled_from(seeds))
        record = seed.make(f"fz{index}")
        kind = draw(st.sampled_from(KINDS))
        line = mutate(draw, record, kind, budget, source)
        lines.append(line)
        number = len(lines)
        expected.append(number)
        if kind == "valid":
            valid[number] = seed.name
        if _is_object_line(line):
            objects.add(number)
    end = b"\r\n" if crlf else b"\n"
    data = end.join(lines)
    if draw(st.booleans()):
        data += end
    return data, expected, objects, valid


def _run_jsonl(source: str, case) -> None:
    data, expected, objects, valid = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{source}.jsonl"
        path.write_bytes(data)
        home = Home(Path(tmp) / "home")
        result = check_file(home, path, source, expected_lines=expected, object_lines=objects,
                             valid_lines=valid)
        check_reingest(home, path, source, result)
    STATS["cases"] += 1
    STATS["records"] += len(expected)
    STATS[f"n {source}"] += len(expected)


def _jsonl_test(source: str):
    @SETTINGS
    @given(case=jsonl_file(source))
    def test(case):
        _run_jsonl(source, case)
    test.__name__ = f"test_fuzz_jsonl_{source}"
    return test


for _source in SEEDS:
    globals()[f"test_fuzz_jsonl_{_source}"] = _jsonl_test(_source)


# -- the CSV property (Helicone export, OpenAI cost dashboard export) ---------------------

CSV_KINDS = ["valid", "valid", "valid", "retype", "retype", "odd_time", "ragged", "bad_utf8",
             "enormous", "quotes"]


@st.composite
def csv_file(draw, source: str) -> tuple[bytes, list[int], dict[int, int]]:
    """(file bytes, non-blank data line numbers, valid line -> seed row index)."""
    seeds = CSV_SEEDS[source]
    header = seeds.header
    count = draw(st.integers(5, 30))
    crlf = draw(st.booleans())
    lines: list[bytes] = [",".join(header).encode()]
    expected: list[int] = []
    valid: dict[int, int] = {}
    enormous = 0
    for index in range(count):
        if draw(st.integers(0, 9)) == 0:
            lines.append(b"")
        which = draw(st.integers(0, len(seeds.rows) - 1))
        row = seeds.rows[which](f"fz{index}")
        kind = draw(st.sampled_from(CSV_KINDS))
        column = draw(st.sampled_from(header[1:]))  # the id column stays, so keys are unique
        cells = [seeds.cell(row.get(c)) for c in header]
        if kind == "retype":
            value = draw(weird_values)
            cells[header.index(column)] = seeds.cell(
                json.dumps(value) if isinstance(value, dict | list) else value)
        elif kind == "odd_time":
            stamps = [c for c in header if "created_at" in c or "time" in c]
            target = draw(st.sampled_from(stamps))
            cells[header.index(target)] = seeds.cell(draw(st.sampled_from(
                [_odd_time(draw, "2025-11-20T10:00:00Z"), "-1", "1e308", "99999999999999",
                 "2025-11-20", "1730419200.5"])))
        elif kind == "ragged":
            cells = cells + ["extra"] if draw(st.booleans()) else cells[:-2]
        elif kind == "enormous" and enormous < MAX_ENORMOUS:
            enormous += 1
            cells[header.index(column)] = seeds.cell("y" * 1_000_000)
        elif kind == "quotes":
            cells[header.index(column)] = seeds.cell(draw(st.sampled_from(
                ['a "quoted" word', '""', '"', ",,,", "a,b", "'"])))
        line = ",".join(cells).encode("utf-8", errors="surrogatepass")
        if kind == "bad_utf8":
            cut = draw(st.integers(1, len(line) - 1))
            line = line[:cut] + draw(st.sampled_from(BAD_UTF8)) + line[cut:]
        lines.append(line)
        expected.append(len(lines))
        if kind == "valid":
            valid[len(lines)] = which
    end = b"\r\n" if crlf else b"\n"
    return end.join(lines) + end, expected, valid


@cache
def _csv_baseline(source: str) -> dict[int, list[tuple]]:
    seeds = CSV_SEEDS[source]
    table = table_of(source)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seeds.csv"
        rows = [",".join(seeds.header)] + [
            ",".join(seeds.cell(make(f"base{i}").get(c)) for c in seeds.header)
            for i, make in enumerate(seeds.rows)]
        path.write_text("\n".join(rows) + "\n")
        home = Home(Path(tmp) / "home")
        (result,) = ingest_paths([path], home, source=source)
        assert result.records_quarantined == 0, result
        out: dict[int, list[tuple]] = {}
        for row in _lake(home, table):
            out.setdefault(row["source_line"] - 2, []).append(_tokens(row, table))
        return out


def _run_csv(source: str, case) -> None:
    data, expected, valid = case
    table = table_of(source)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{source}.csv"
        path.write_bytes(data)
        home = Home(Path(tmp) / "home")
        result = check_file(home, path, source, expected_lines=expected, object_lines=set(),
                            valid_lines={})
        # check_file treats openai_costs as multi-item; a CSV row is always one record.
        assert result.records_read == len(expected), result
        lake = [r for r in _lake(home, table) if r["source_file"] == str(path)]
        by_line: dict[int, list[tuple]] = {}
        for row in lake:
            by_line.setdefault(row["source_line"], []).append(_tokens(row, table))
        baseline = _csv_baseline(source)
        for line, which in valid.items():
            assert by_line.get(line) == baseline[which], (line, which)
        check_reingest(home, path, source, result)
    STATS["cases"] += 1
    STATS["records"] += len(expected)
    STATS[f"n {source} csv"] += len(expected)


@CSV_SETTINGS
@given(case=csv_file("helicone"))
def test_fuzz_csv_helicone(case):
    _run_csv("helicone", case)


@CSV_SETTINGS
@given(case=csv_file("openai_costs"))
def test_fuzz_csv_openai_costs(case):
    _run_csv("openai_costs", case)


# -- regressions: bugs the fuzzing found outside the adapter SQL ---------------------------

def _ingest_lines(tmp_path: Path, source: str, lines: list[bytes]) -> FileResult:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{source}.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    (result,) = ingest_paths([path], Home(tmp_path / "home"), source=source)
    assert result.status == "loaded", result
    assert result.records_read == (result.records_loaded + result.records_duplicate
                                   + result.records_quarantined), result
    return result


def _openai(tag: str, **fields) -> bytes:
    record = SEEDS["openai"][0].make(tag)
    record.update(fields)
    return _dumps(record)


@pytest.mark.parametrize("started_at", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00"])
def test_year_one_timestamp_does_not_crash_the_file(tmp_path, started_at):
    result = _ingest_lines(tmp_path, "openai", [_openai("ok"), _openai("y1",
                                                                       started_at=started_at)])
    assert result.records_read == 2 and result.records_loaded >= 1


@pytest.mark.parametrize("value", [1e308, 2**70, -1e15])
def test_epoch_out_of_range_is_a_bad_timestamp_not_a_crash(tmp_path, value):
    record = SEEDS["litellm"][2].make("epoch")
    record["startTime"] = value
    good = SEEDS["litellm"][2].make("good")
    result = _ingest_lines(tmp_path, "litellm", [_dumps(record), _dumps(good)])
    assert (result.records_loaded, result.records_quarantined) == (1, 1)


@pytest.mark.parametrize("source", ["anthropic", "openai"])
def test_huge_token_counts_are_quarantined_not_a_crash(tmp_path, source):
    record = SEEDS[source][0].make("huge")
    usage = record["response"]["usage"]
    if source == "anthropic":
        usage.update(cache_read_input_tokens=2**62, cache_creation_input_tokens=2**62)
    else:
        usage["prompt_tokens_details"] = {"cached_tokens": 2**62, "cache_write_tokens": 2**62}
    result = _ingest_lines(tmp_path, source, [_dumps(record),
                                              _dumps(SEEDS[source][0].make("ok"))])
    assert (result.records_loaded, result.records_quarantined) == (1, 1)


def test_jsonl_whose_first_line_is_an_array_keeps_its_lines(tmp_path):
    result = _ingest_lines(tmp_path, "openai", [b"[1, 2, 3]", _openai("a"), _openai("b")])
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (3, 2, 1)


@pytest.mark.parametrize("prefix", [b"\t", b"\r"])
def test_record_after_json_whitespace_loads(tmp_path, prefix):
    result = _ingest_lines(tmp_path, "openai", [_openai("a"), prefix + _openai("b")])
    assert result.records_loaded == 2


def test_very_deep_first_line_does_not_crash(tmp_path):
    deep = b'{"a":' + nested_text(100_000, "list").encode() + b"}"
    result = _ingest_lines(tmp_path, "openai", [deep, _openai("a")])
    assert (result.records_read, result.records_loaded) == (2, 1)


def test_very_deep_line_in_the_middle_is_accounted_for(tmp_path):
    deep = b'{"a":' + nested_text(100_000, "object").encode() + b"}"
    result = _ingest_lines(tmp_path, "openai", [_openai("a"), deep, _openai("b")])
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (3, 2, 1)


def test_unicode_whitespace_lines_count_the_same_with_a_bad_byte(tmp_path):
    odd = ["\u00a0".encode(), "\u2028".encode(), b"\x1c"]
    clean = _ingest_lines(tmp_path / "clean", "openai", [_openai("a"), *odd])
    dirty = _ingest_lines(tmp_path / "dirty", "openai", [_openai("a"), *odd, b"\xff"])
    assert dirty.records_read == clean.records_read + 1


def test_utf8_bom_does_not_cost_the_first_record(tmp_path):
    result = _ingest_lines(tmp_path, "openai", [b"\xef\xbb\xbf" + _openai("a"), _openai("b")])
    assert result.records_loaded == 2


def test_csv_cell_over_128_kib_with_a_ragged_row_does_not_crash(tmp_path):
    seeds = CSV_SEEDS["helicone"]
    rows = [[seeds.cell(seeds.rows[0](f"r{i}").get(c)) for c in seeds.header] for i in range(3)]
    rows[0][4] = seeds.cell("y" * 200_000)
    rows[2].append("extra")
    path = tmp_path / "export.csv"
    path.write_text("\n".join([",".join(seeds.header)] + [",".join(r) for r in rows]) + "\n")
    (result,) = ingest_paths([path], Home(tmp_path / "home"), source="helicone")
    assert result.status == "loaded"
    assert (result.records_read, result.records_loaded, result.records_quarantined) == (3, 2, 1)


def test_zz_fuzz_summary():
    """Runs last in this module (pytest keeps file order): prints what ran."""
    if not STATS["cases"]:
        pytest.skip("no fuzz case ran (selected alone)")
    per_source = ", ".join(f"{k[2:]}={v}" for k, v in sorted(STATS.items())
                           if k.startswith("n "))
    print(f"\nfuzz summary: {STATS['cases']} generated cases, {STATS['records']} generated "
          f"records, {STATS['re-ingests']} re-ingests, {STATS['records lost']} records lost "
          f"({per_source})")
    assert STATS["records lost"] == 0
