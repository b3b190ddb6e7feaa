"""The direct path's typed read: DuckDB parses each record of a JSONL file once, into the
adapter's own struct.

An adapter parses a record with ``from_json(doc, '<spec>') AS f``. On the direct path DuckDB
reads the file itself; with ``read_json_objects`` every line becomes a string first (a copy of
the whole file) and is then parsed a second time by that ``from_json``. When that call is the
adapter's only use of the record's text (``doc`` once, ``raw`` never), ``read_json`` can parse
each line straight into the same struct instead: one parse, no copy (a quarter of the LiteLLM
adapter's time at 1M records, bench/README.md).

Both parses share DuckDB's JSON transform and give the same values; where they differ the
typed read is stricter and fails (a struct field holding a string or a list, a key repeated
in one object, a line that is not an object), never a different value. Ingest then reads the
file the untyped way (pipelines/ingest.py, ``Ingestor._load_direct``), so such a file costs one
more pass and loads the same rows. A line ``null`` would read as a NULL struct: it is turned
into the same error as any line that is not an object.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# `from_json(doc, '<object spec>') AS <alias>`: the spec is JSON without single quotes.
_PARSE = re.compile(r"from_json\(\s*doc\s*,\s*'(\{[^']*\})'\s*\)\s+AS\s+(\w+)", re.I)
_COMMENT = re.compile(r"--[^\n]*")


@dataclass(frozen=True)
class TypedRead:
    record_type: str  # the DuckDB type of the adapter's spec, e.g. STRUCT("model" VARCHAR, ...)
    adapter_sql: str  # the adapter with its parse replaced by the column `record`

    def records_view(self, sql_path: str) -> str:
        """The `records` view over a JSONL file for the rewritten adapter. ``sql_path`` is a
        SQL string literal body (quotes doubled) and no glob: the caller checks both."""
        record_type = self.record_type.replace("'", "''")
        return (
            "CREATE OR REPLACE TEMP VIEW records AS "
            "SELECT CAST(0 AS BIGINT) AS source_line, CAST(NULL AS VARCHAR) AS raw, "
            "CAST(NULL AS VARCHAR) AS doc, "
            "CASE WHEN record IS NULL THEN error('a record is not a JSON object') "
            "ELSE record END AS record "
            f"FROM read_json('{sql_path}', format = 'newline_delimited', records = false, "
            f"columns = {{'record': '{record_type}'}})")


def duckdb_type(spec) -> str:
    """from_json's structure spec as a DuckDB type: {"a": "VARCHAR", "b": {...}, "c": [...]}."""
    if isinstance(spec, dict):
        fields = ", ".join(f'"{name.replace(chr(34), chr(34) * 2)}" {duckdb_type(value)}'
                           for name, value in spec.items())
        return f"STRUCT({fields})"
    if isinstance(spec, list) and len(spec) == 1:
        return f"{duckdb_type(spec[0])}[]"
    if isinstance(spec, str) and re.fullmatch(r"[A-Za-z0-9_ ,()]+", spec):
        return spec
    raise ValueError(f"not a from_json structure: {spec!r}")


def typed_read(adapter_sql: str) -> TypedRead | None:
    """The typed read for an adapter, or None when its record text is used other than by one
    ``from_json(doc, '<object spec>') AS <alias>``."""
    code = _COMMENT.sub("", adapter_sql)
    found = list(_PARSE.finditer(code))
    if (len(found) != 1 or len(re.findall(r"\bdoc\b", code)) != 1
            or re.search(r"\braw\b", code) or re.search(r"\brecord\b", code)):
        return None
    spec_text, alias = found[0].group(1), found[0].group(2)
    try:
        record_type = duckdb_type(json.loads(spec_text))
    except ValueError:
        return None
    rewritten, count = _PARSE.subn(f"record AS {alias}", adapter_sql)
    return TypedRead(record_type, rewritten) if count == 1 else None
