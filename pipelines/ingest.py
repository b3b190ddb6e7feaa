"""Ingest landing files into the lake: read -> adapter SQL -> validate -> dedupe -> publish.

Every record read ends exactly once as a loaded request, a duplicate, or a quarantined record
with a reason; the per-file counts are stored in ``ingest_runs`` and must add up. A file whose
content (sha256) was already ingested is skipped, so repeating an ingest or a backfill is a
no-op; records already in the lake under another file are counted as duplicates.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines import db, fingerprint, lakehouse, landing_guard, records, schema
from pipelines.detect import UndetectedFormat, detect
from pipelines.lake import INGEST_RUNS, PROMPT_EMBEDDINGS, QUARANTINE, Lake
from pipelines.locking import writer_lock
from pipelines.paths import Home
from pipelines.progress import advance
from pipelines.records import RAW_SCHEMA, iter_raw_chunks
from pipelines.sources import SOURCES, get_source
from pipelines.sources.base import Source
from pipelines.typed_read import typed_read

EXCERPT_CHARS = 300


def excerpt_chars() -> int:
    """How much of a rejected record quarantine keeps. Records hold prompts and responses, and
    storing their text is off by default: LLMCOST_STORE_TEXT=1 keeps the first EXCERPT_CHARS
    characters, with secret-looking strings redacted."""
    return EXCERPT_CHARS if os.environ.get("LLMCOST_STORE_TEXT") == "1" else 0
# Canonical columns an adapter may leave out (they read as NULL): only sources that bill set
# billed_cost_usd; tags_clean says the adapter already found its tags free of anything
# credential-like (canonical_requests.sql).
OPTIONAL_ADAPTER_COLUMNS = {
    "requests": {"billed_cost_usd": "DOUBLE", "tags_clean": "BOOLEAN",
                 **fingerprint.TRANSIENT_COLUMNS},
}
# Per canonical table: the dedupe key and the event time (identifiers, never user input).
TABLES = {
    "requests": ("request_id", "occurred_at"),
    "usage_buckets": ("bucket_version_id", "bucket_start"),
}
# Python explains malformed JSON lines one by one (DuckDB only says "invalid"); past this many
# in one file the rest get a generic reason instead of a per-line parser message.
MAX_EXPLAINED_MALFORMED = 10_000

Progress = Callable[[str], None]

UNREADABLE_FILE_ERRORS = (OSError, EOFError, zlib.error)

# The adapters read `records`: the chunk's records that look like a JSON object, read straight
# from the chunk's Arrow table (no copy). `doc` is the record's text, parsed once by the adapter;
# only when that parse fails on malformed JSON is the chunk re-read with each record validated
# (a second parse), so bad records drop out and are explained by _reject_unparsable.
LOOKS_LIKE_OBJECT = "read_error IS NULL AND starts_with(ltrim(raw, ' \t\r\n'), '{')"
RECORDS_VIEW = f"""
CREATE OR REPLACE TEMP VIEW records AS
SELECT source_line, raw, raw AS doc FROM raw_arrow WHERE {LOOKS_LIKE_OBJECT}
"""
VALIDATED_RECORDS_VIEW = f"""
CREATE OR REPLACE TEMP VIEW records AS
SELECT source_line, raw, raw AS doc FROM raw_arrow
WHERE {LOOKS_LIKE_OBJECT} AND json_valid(raw)
"""
# The direct path (Ingestor._load_direct): DuckDB reads a whole JSONL file itself, on every
# core, for adapters that give one row per record in order (Source.one_row_per_record). It
# has no line numbers: the rows are numbered afterwards by their position, which is only
# right if every line became exactly one row - anything else (a blank line, malformed JSON,
# a line that is not an object, invalid UTF-8, a line over 16 MB) fails the statement or the
# row count, and the file goes through the chunked path, which explains each record.
# The progress line of a file that took the direct path (benchmarks and tests look for it).
DIRECT_PATH_PROGRESS = "read by DuckDB in one pass"
TYPED_READ_PROGRESS = "(parsed straight into the adapter's struct)"
DIRECT_RECORDS_VIEW = """
CREATE OR REPLACE TEMP VIEW records AS
SELECT CASE WHEN starts_with(CAST(json AS VARCHAR), '{{') THEN CAST(0 AS BIGINT)
            ELSE error('a record is not a JSON object') END AS source_line,
       CAST(json AS VARCHAR) AS raw, CAST(json AS VARCHAR) AS doc
FROM read_json_objects('{path}', format = 'newline_delimited')
"""


@dataclass
class FileResult:
    path: str
    source: str
    file_sha256: str
    status: str  # loaded | skipped | rejected (no source) | failed (unreadable file)
    records_read: int = 0
    records_loaded: int = 0
    records_duplicate: int = 0
    records_quarantined: int = 0
    run_id: str | None = None
    usage_dates: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Digest:
    sha256: str
    lines: int  # a last line without a newline counts
    blank_line: bool  # an empty line ("\n\n", "\n\r\n", a leading "\n") was seen


def file_digest(path: Path) -> Digest:
    """The file's sha256, its number of lines and whether it has an empty line, in one pass
    over the bytes. (Lines of only spaces are not looked for here; the direct path's row
    count catches them.) bytes.count and ``in`` scan a block at memchr speed: a quarter of
    the time numpy's per-byte arrays took, on the hashing thread that shares the cores with
    DuckDB's parse."""
    digest = hashlib.sha256()
    lines = 0
    blank = False
    tail = b"\n"  # the file's start behaves like the end of a line
    with open(path, "rb") as handle:
        while block := handle.read(8 * 1024 * 1024):
            digest.update(block)
            lines += block.count(b"\n")
            if not blank:
                seam = tail + block[:2]  # an empty line across the previous block's end
                blank = any(empty in part for part in (seam, block)
                            for empty in (b"\n\n", b"\n\r\n"))
            tail = block[-2:]
    return Digest(digest.hexdigest(), lines + (tail[-1:] != b"\n"), blank)


def expand_paths(paths: Iterable[Path]) -> list[Path | landing_guard.Refused]:
    """Files named directly, and every non-hidden file under named directories, sorted.
    Entries of a directory that resolve outside it (symlinks, ``..``) come back as
    landing_guard.Refused; landing_guard.check() turns them into a 'rejected' result."""
    return landing_guard.expand(paths)


def source_for(path: Path, explicit: str | None, landing: Path) -> str:
    """--source wins; otherwise the content decides (pipelines/detect.py); a landing sub-folder
    named after a source (landing/<source>/...) settles a file whose content is ambiguous."""
    if explicit:
        return get_source(explicit).name
    try:
        return detect(path).source
    except UndetectedFormat:
        for parent in path.resolve().parents:
            if parent.name in SOURCES:
                return parent.name
            if parent == landing.resolve():
                break
        raise


def new_run_id(sha: str) -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{sha[:12]}-{secrets.token_hex(3)}"


class Ingestor:
    """Ingests files into one lake. Not thread-safe; callers hold the writer lock."""

    def __init__(self, home: Home, *, memory_limit: str = "2GB"):
        self.home = home.ensure()
        self.lake = Lake(home.lake)
        self.con = db.connect(
            temp_directory=home.lake / "_tmp", memory_limit=memory_limit
        )
        # With a shared warehouse (pipelines.lakehouse) the runs publish into its lake; the
        # local lake folder only stages them.
        self.shared = lakehouse.configured()
        if self.shared:
            lakehouse.attach(self.con, self.shared, use=False)
        self._known, self._known_sizes = self._known_files()
        self.typed_read = False  # the last direct read parsed into the adapter's struct
        # The content hash runs in this thread while DuckDB reads the file (hashlib releases
        # the GIL on large buffers; DuckDB's execute does too, so the main thread never
        # waits on the line count, which holds it).
        self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmcost-digest")
        # Runs killed before their commit marker leave staging folders and orphan files that
        # no reader counts; the writer lock is held, so they are safe to remove now. (A shared
        # warehouse has no writer lock: other workers' staging may be live.)
        if not self.shared:
            self.lake.sweep_abandoned()

    def close(self) -> None:
        self._hasher.shutdown(wait=True)
        self.con.close()

    def _known_files(self) -> tuple[dict[str, str], set[tuple[str, int]]]:
        """Content hashes already ingested (-> the file they came from), and the (path, size)
        of those files."""
        if self.shared:
            rows = self.con.execute(
                f"SELECT file_sha256, source_file, file_bytes FROM {lakehouse.CATALOG}."
                f"{lakehouse.LAKE_SCHEMA}.{INGEST_RUNS}").fetchall()
        else:
            runs = self.lake.files(INGEST_RUNS, committed_only=False)
            if not runs:
                return {}, set()
            rel = self.con.read_parquet([str(f.path) for f in runs])
            rows = rel.project("file_sha256, source_file, file_bytes").fetchall()
        return ({sha: source_file for sha, source_file, _ in rows},
                {(source_file, size) for _, source_file, size in rows})

    def ingest(self, path: Path, source_name: str, *, force: bool = False,
               progress: Progress | None = None) -> FileResult:
        """A file whose path and size match a file ingested before is hashed first (it is
        most likely the same file again, skipped without being read); any other file is
        hashed while DuckDB reads it, and skipped after the read if its content turns out to
        be known (a copy under another name costs one read)."""
        if not force and (str(path), path.stat().st_size) in self._known_sizes:
            digest: Future[Digest] = Future()
            digest.set_result(file_digest(path))
            if (skipped := self._skipped(path, source_name, digest.result())) is not None:
                return skipped
        else:
            digest = self._hasher.submit(file_digest, path)
        try:
            result = self._ingest_file(path, source_name, digest, force, progress)
        finally:
            digest.result()  # never leave the hashing thread reading a file we are done with
        if result.status == "loaded":
            self._known[result.file_sha256] = str(path)
            self._known_sizes.add((str(path), path.stat().st_size))
        return result

    def _skipped(self, path: Path, source_name: str, digest: Digest) -> FileResult | None:
        sha = digest.sha256
        if sha not in self._known:
            return None
        return FileResult(str(path), source_name, sha, "skipped",
                          note=f"already ingested (same content as {self._known[sha]})")

    # -- one file -------------------------------------------------------------------------

    def _ingest_file(self, path: Path, source_name: str, pending: Future[Digest], force: bool,
                     progress: Progress | None) -> FileResult:
        """``pending``: the file's digest, being computed while the file is read."""
        source = get_source(source_name)
        con = self.con
        ingested_at = datetime.now(UTC)
        columns = schema.duckdb_columns(source.table)
        key, _ = TABLES[source.table]
        column_defs = ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns.items())
        con.execute(f"CREATE OR REPLACE TEMP TABLE batch ({column_defs})")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rejects (source_line BIGINT, source_item BIGINT, "
            "request_id VARCHAR, "
            "reason_code VARCHAR, reason VARCHAR, excerpt VARCHAR)"
        )
        canonical = source.canonical_sql()
        # source_file and file_sha256 are the same on every row of a file: the rows carry an
        # empty string (stored inline, no bytes per row) and _write puts the values into the
        # lake. As per-row strings they cost ~150 MB of the batch at 1M records (bench/README.md).
        params = {
            "source": source.name,
            "source_file": "",
            "file_sha256": "",
            "ingested_at": ingested_at.isoformat(),
        }
        if source.table == "requests":
            params["key_salt"] = self.home.key_salt()
        fingerprints = fingerprint.Fingerprinter(con) if source.table == "requests" else None
        try:
            direct = self._load_direct(path, source, canonical, params, pending)
            digest = pending.result()
            if not force and (skipped := self._skipped(path, source.name, digest)) is not None:
                for table in ("chunk_out", "batch", "rejects"):
                    con.execute(f"DROP TABLE IF EXISTS {table}")
                return skipped
            sha = digest.sha256
            if direct:
                self._take_chunk(key, fingerprints, excerpts=False, whole_file=True)
                if progress:
                    progress(f"{path.name}: {digest.lines:,} records, {DIRECT_PATH_PROGRESS}"
                             + (f" {TYPED_READ_PROGRESS}" if self.typed_read else ""))
            else:
                self._chunked_views(source)
                self._load_chunks(path, canonical, params, key, fingerprints, progress)
            con.execute("DROP TABLE IF EXISTS chunk_out")

            duplicates = self._mark_duplicates(source.name, source.table, spans=source.spans)
            run_id = new_run_id(sha)
            try:
                result = self._write(path, source.name, source.table, sha, run_id, ingested_at,
                                     duplicates, with_embeddings=fingerprints is not None)
            except BaseException:
                self.lake.discard_staging(run_id)
                raise
            if fingerprints and fingerprints.skipped:
                result.note = (f"prompt fingerprints skipped for {fingerprints.skipped} "
                               f"record(s), loaded without them: {fingerprints.skip_reason}")
            return result
        finally:
            if fingerprints:
                fingerprints.close()

    def _adapter_view(self, adapter_sql: str, table: str) -> None:
        """The view adapter_output: the adapter over `records`, with the optional canonical
        columns it leaves out as NULL."""
        con = self.con
        con.execute(f"CREATE OR REPLACE TEMP VIEW adapter_output AS {adapter_sql}")
        returned = {row[0] for row in con.execute("DESCRIBE adapter_output").fetchall()}
        fill = ", ".join(
            f'CAST(NULL AS {sql_type}) AS "{c}"'
            for c, sql_type in OPTIONAL_ADAPTER_COLUMNS.get(table, {}).items()
            if c not in returned)
        if fill:
            con.execute(f"CREATE OR REPLACE TEMP VIEW adapter_output AS "
                        f"SELECT *, {fill} FROM ({adapter_sql})")

    def _load_direct(self, path: Path, source: Source, canonical: str, params: dict,
                     pending: Future[Digest]) -> bool:
        """The whole file -> chunk_out in one statement, DuckDB reading the JSONL itself;
        False (nothing kept) when the file must take the chunked path instead. Quarantine
        excerpts need each record's text next to its row, so they turn the direct path off.
        DuckDB reads its argument as a glob (and a leading ~ as the home folder): a path that
        could match another file goes the chunked way. The record is parsed straight into the
        adapter's struct when the adapter allows it (pipelines/typed_read.py), else read as
        text and parsed by the adapter; a file the typed read refuses is read the other way."""
        resolved = str(path.resolve())
        if not (source.one_row_per_record and excerpt_chars() == 0
                and path.suffix != ".gz" and not any(c in resolved for c in "*?[]{}~")
                and records.layout(path) == "lines"):
            return False
        con = self.con
        con.execute("SET preserve_insertion_order = true")  # the default; the numbering needs it
        sql_path = _sql_path(Path(resolved))
        reads = [(DIRECT_RECORDS_VIEW.format(path=sql_path), source.sql())]
        typed = typed_read(source.sql())
        if typed:
            reads.insert(0, (typed.records_view(sql_path), typed.adapter_sql))
        for records_view, adapter_sql in reads:
            con.execute(records_view)
            self._adapter_view(adapter_sql, source.table)
            if self._read_direct(canonical, params, pending):
                self.typed_read = adapter_sql is not reads[-1][1]
                return True
            if pending.result().blank_line:
                return False
        return False

    def _chunked_views(self, source: Source) -> None:
        """The views the chunked path reads: `records` over the chunk registered as raw_arrow
        (each chunk in turn; an empty one until the first), and the adapter over them. Only
        set up when a file takes that path: binding the adapter costs ~0.1 s, and any Arrow
        table makes pyarrow import pandas (~0.5 s), which the direct path never needs."""
        self.con.register("raw_arrow", RAW_SCHEMA.empty_table())
        self.con.execute(RECORDS_VIEW)
        self._adapter_view(source.sql(), source.table)

    def _read_direct(self, canonical: str, params: dict, pending: Future[Digest]) -> bool:
        """chunk_out from the direct `records` view; False (no chunk_out) when the read fails
        or does not give one row per line (an empty line, seen while hashing, means the row
        numbers cannot be trusted)."""
        con = self.con
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE chunk_out AS {canonical}", params)
            rows = con.execute("SELECT count(*) FROM chunk_out").fetchall()[0][0]
            digest = pending.result()
            # DuckDB keeps insertion order, so row k of chunk_out (rowid k) came from the k-th
            # line it read; it skips blank lines, so with as many rows as lines and no empty
            # line, that is line k + 1.
            if digest.blank_line or not digest.lines or rows != digest.lines:
                con.execute("DROP TABLE chunk_out")
                return False
            con.execute("UPDATE chunk_out SET source_line = rowid + 1")
            return True
        except duckdb.Error:
            con.execute("DROP TABLE IF EXISTS chunk_out")
            return False

    def _load_chunks(self, path: Path, canonical: str, params: dict, key: str,
                     fingerprints: fingerprint.Fingerprinter | None,
                     progress: Progress | None) -> None:
        """The file in bounded chunks of records split in Python, each with its line number,
        so that every record that cannot be read is quarantined with its own reason."""
        con = self.con
        malformed_explained = 0
        for chunk_no, chunk in enumerate(iter_raw_chunks(path), start=1):
            con.register("raw_arrow", chunk.table)
            validated = False
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE chunk_out AS {canonical}", params)
            except duckdb.Error:
                validated = True
                con.execute(VALIDATED_RECORDS_VIEW)
                con.execute(f"CREATE OR REPLACE TEMP TABLE chunk_out AS {canonical}", params)
                con.execute(RECORDS_VIEW)
            self._take_chunk(key, fingerprints, excerpts=True)
            malformed_explained = self._reject_unparsable(malformed_explained, validated)
            if progress:
                progress(f"{path.name}: chunk {chunk_no}, {chunk.table.num_rows:,} records")

    def _take_chunk(self, key: str, fingerprints: fingerprint.Fingerprinter | None, *,
                    excerpts: bool, whole_file: bool = False) -> None:
        """chunk_out's rejected rows -> rejects, its clean rows (fingerprinted) -> batch.
        ``whole_file``: chunk_out holds the whole file (direct path) and batch is empty."""
        con = self.con
        chars = excerpt_chars() if excerpts else 0
        excerpt = "nullif(llm_redact(left(raw_arrow.raw, ?)), '')" if chars else "NULL"
        joined = ("JOIN raw_arrow ON raw_arrow.source_line = chunk_out.source_line "
                  if chars else "")
        con.execute(
            "INSERT INTO rejects "
            f"SELECT chunk_out.source_line, chunk_out.source_item, chunk_out.{key}, "
            "       chunk_out.problems[1].code, "
            "       array_to_string(list_transform(chunk_out.problems, lambda p: p.reason), "
            "                       '; '), "
            f"      {excerpt} "
            f"FROM chunk_out {joined}"
            "WHERE len(chunk_out.problems) > 0",
            [chars] if chars else [],
        )
        if fingerprints:
            fingerprints.fingerprint_chunk()
            if whole_file and fingerprints.none_in_chunk():
                self._chunk_becomes_batch()
            else:
                con.execute(f"INSERT INTO batch BY NAME {fingerprints.select_clean_rows()}")
        else:
            con.execute(
                "INSERT INTO batch SELECT * EXCLUDE (problems) FROM chunk_out "
                "WHERE len(problems) = 0")

    def _chunk_becomes_batch(self) -> None:
        """chunk_out, its rejects removed, becomes batch in place (no request carried a prompt,
        so there are no fingerprints to join): no second copy of a whole file's rows, which
        at 1M spend logs would also push both tables past the memory limit into spill files.
        The fingerprint columns are added empty; _write selects columns in schema order."""
        con = self.con
        con.execute("DELETE FROM chunk_out WHERE len(problems) > 0")
        present = {row[0] for row in con.execute("DESCRIBE chunk_out").fetchall()}
        wanted = {row[0]: row[1] for row in con.execute("DESCRIBE batch").fetchall()}
        for column in sorted(present - wanted.keys()):
            con.execute(f'ALTER TABLE chunk_out DROP COLUMN "{column}"')
        for column, sql_type in wanted.items():
            if column not in present:
                con.execute(f'ALTER TABLE chunk_out ADD COLUMN "{column}" {sql_type}')
        con.execute("DROP TABLE batch")
        con.execute("ALTER TABLE chunk_out RENAME TO batch")

    def _reject_unparsable(self, explained: int, validated: bool) -> int:
        """Quarantine records of the current chunk that are not a JSON object, with the parser's
        own message for the first MAX_EXPLAINED_MALFORMED of them."""
        valid = f"{LOOKS_LIKE_OBJECT} AND json_valid(raw)" if validated else LOOKS_LIKE_OBJECT
        rows = self.con.execute(
            f"SELECT source_line, raw, read_error FROM raw_arrow WHERE NOT ({valid})"
        ).fetchall()
        rejected = []
        for source_line, raw, read_error in rows:
            if read_error:
                code, reason = "unreadable", read_error
            elif explained < MAX_EXPLAINED_MALFORMED:
                explained += 1
                try:
                    value = json.loads(raw)
                    code = "not_a_record"
                    reason = f"a JSON {type(value).__name__}, not an object"
                except (ValueError, RecursionError) as exc:
                    code, reason = "malformed_json", f"not valid JSON: {exc}"
            else:
                code, reason = "malformed_json", "not valid JSON"
            rejected.append((source_line, None, None, code, reason,
                             raw[:excerpt_chars()] or None))
        if rejected:
            self.con.executemany(
                "INSERT INTO rejects VALUES (?, ?, ?, ?, ?, llm_redact(?))", rejected)
        return explained

    def _mark_duplicates(self, source: str, table: str, *, spans: bool = False) -> int:
        """Move repeated request ids to rejects: within the file (keep the first line), and
        ids already committed to the lake for this source within a day of the batch's dates;
        for trace spans also the usage a parent span repeats (_mark_parent_spans)."""
        con = self.con
        key, _ = TABLES[table]
        con.execute(
            "INSERT INTO rejects "
            f"SELECT source_line, source_item, {key}, 'duplicate', "
            f"       'duplicate of ' || {key} || ' at line ' || first_line "
            "       || ' of this file', "
            "       NULL "
            f"FROM (SELECT source_line, source_item, {key}, "
            f"             row_number() OVER (PARTITION BY {key} "
            "                                ORDER BY source_line, source_item) AS copy_no, "
            f"             min(source_line) OVER (PARTITION BY {key}) AS first_line "
            "      FROM batch) WHERE copy_no > 1"
        )
        within = con.execute(
            "DELETE FROM batch WHERE (source_line, source_item) IN "
            "(SELECT source_line, source_item FROM rejects WHERE reason_code = 'duplicate')"
        ).fetchall()[0][0]

        dates = {d for (d,) in con.execute("SELECT DISTINCT usage_date FROM batch").fetchall()}
        window = set()
        for day in dates:
            for offset in (-1, 0, 1):
                try:
                    window.add(day + timedelta(days=offset))
                except (OverflowError, TypeError):  # year 1 or BC dates (returned as text)
                    continue
        lake_rows = self._lake_rows(table, source, window)
        across = 0
        if lake_rows is not None:
            lake_rows.project(key).create("lake_ids")
            con.execute(
                "INSERT INTO rejects "
                f"SELECT source_line, source_item, {key}, 'duplicate', "
                f"       {key} || ' is already in the lake (ingested earlier)', "
                "       NULL "
                f"FROM batch WHERE {key} IN (SELECT {key} FROM lake_ids)"
            )
            across = con.execute(
                f"DELETE FROM batch WHERE {key} IN (SELECT {key} FROM lake_ids)"
            ).fetchall()[0][0]
            con.execute("DROP TABLE lake_ids")
        rollups = self._mark_parent_spans(lake_rows) if spans else 0
        return within + across + rollups

    def _lake_rows(self, table: str, source: str,
                   window: set) -> duckdb.DuckDBPyRelation | None:
        """The committed lake rows of `source` on the days of `window`, or None if none."""
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE dedupe_window AS "
            "SELECT CAST(unnest(CAST(? AS DATE[])) AS DATE) AS usage_date", [sorted(window)])
        in_window = "usage_date IN (SELECT usage_date FROM dedupe_window)"
        if self.shared:
            return self.con.sql(
                f"SELECT * FROM {lakehouse.CATALOG}.{lakehouse.LAKE_SCHEMA}.{table} "
                f"WHERE source = ? AND {in_window}", params=[source])
        lake_files = [
            f for f in self.lake.files(table)
            if f.usage_dates & window
            and (f.path.parent.parent if f.day_folder else f.path.parent).name
            == f"source={source}"
        ]
        if not lake_files:
            return None
        # A run file holds every day of its run (usage_date a column); a file of the older
        # day-folder layout, one day (in its path).
        reads = []
        for day_folder in (False, True):
            paths = [str(f.path) for f in lake_files if f.day_folder == day_folder]
            if paths:
                reads.append(
                    f"SELECT * FROM read_parquet({db.sql_list(paths)}, union_by_name = true, "
                    f"hive_partitioning = {day_folder}) WHERE {in_window}")
        return self.con.sql(" UNION ALL BY NAME ".join(reads))

    def _mark_parent_spans(self, lake_rows: duckdb.DuckDBPyRelation | None) -> int:
        """A span whose child span reports its own usage is not a request of its own: an
        agent span summing its calls, a framework span wrapping the SDK's. The adapter drops
        it when parent and child share an OTLP document; here the rule is carried across
        documents, files and runs (batch exporters write a parent after its children, often
        in a later document):

        - a span of this file below a span already in the lake that reports usage (its parent,
          or further up through spans of this file) is covered by that ancestor, which is
          counted and cannot be taken back (lake files are immutable): if it reports usage it
          is the duplicate;
        - otherwise a span of this file with a direct child reporting usage (in this file or
          in the lake) is the duplicate, its children count.

        "Reports usage" means a positive input or output count here (the adapter, which sees
        the attributes, means a usage attribute present). Returns how many rows were moved."""
        con = self.con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE span_pool AS "
            "SELECT request_id, split_part(request_id, ':', 1) AS trace, "
            "       tags['parent_span_id'] AS parent, "
            "       coalesce(input_tokens > 0 OR output_tokens > 0, false) AS has_usage, "
            "       true AS in_batch "
            "FROM batch")
        if lake_rows is not None:
            lake_rows.project("request_id, tags, input_tokens, output_tokens").create_view(
                "lake_spans")
            con.execute(
                "INSERT INTO span_pool "
                "SELECT DISTINCT request_id, split_part(request_id, ':', 1), "
                "       tags['parent_span_id'], "
                "       coalesce(input_tokens > 0 OR output_tokens > 0, false), false "
                "FROM lake_spans WHERE split_part(request_id, ':', 1) IN "
                "(SELECT trace FROM span_pool WHERE in_batch)")
            con.execute("DROP VIEW lake_spans")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE span_rejects AS
            WITH RECURSIVE covered (request_id, ancestor) AS (
                SELECT b.request_id, p.request_id
                FROM span_pool AS b JOIN span_pool AS p
                    ON b.in_batch AND NOT p.in_batch AND p.has_usage
                    AND p.request_id = b.trace || ':' || b.parent
                UNION
                SELECT b.request_id, c.ancestor
                FROM covered AS c JOIN span_pool AS b
                    ON b.in_batch AND b.trace || ':' || b.parent = c.request_id
            ),
            covered_once AS (
                SELECT request_id, min(ancestor) AS ancestor FROM covered GROUP BY request_id
            ),
            usage_parents AS (
                SELECT trace || ':' || parent AS parent_id,
                       count(DISTINCT request_id) AS children, min(request_id) AS example
                FROM span_pool WHERE has_usage AND parent IS NOT NULL GROUP BY ALL
            ),
            descendants AS (
                SELECT b.source_line, b.source_item, b.request_id,
                       'span ' || c.ancestor || ', ingested earlier, already counts its usage'
                           || CASE WHEN split_part(c.ancestor, ':', 2) = b.tags['parent_span_id']
                                   THEN ' (its parent)' ELSE ' (an ancestor)' END AS reason
                FROM batch AS b JOIN covered_once AS c USING (request_id)
                WHERE coalesce(b.input_tokens > 0 OR b.output_tokens > 0, false)
            ),
            parents AS (
                SELECT b.source_line, b.source_item, b.request_id,
                       'span ' || b.request_id || ' is the parent of ' || u.children
                       || ' span(s) reporting their own usage, counted instead (e.g. '
                       || u.example || ')' AS reason
                FROM batch AS b JOIN usage_parents AS u ON u.parent_id = b.request_id
                WHERE b.request_id NOT IN (SELECT request_id FROM covered_once)
            )
            SELECT * FROM descendants UNION ALL SELECT * FROM parents""")
        con.execute(
            "INSERT INTO rejects SELECT source_line, source_item, request_id, 'duplicate', "
            "reason, NULL FROM span_rejects")
        moved = con.execute(
            "DELETE FROM batch WHERE (source_line, source_item) IN "
            "(SELECT source_line, source_item FROM span_rejects)").fetchall()[0][0]
        con.execute("DROP TABLE span_pool")
        con.execute("DROP TABLE span_rejects")
        return moved

    def _write(self, path: Path, source: str, table: str, sha: str, run_id: str,
               ingested_at: datetime, duplicates: int, *,
               with_embeddings: bool = False) -> FileResult:
        con = self.con
        _, time_column = TABLES[table]
        staging = self.lake.staging_dir(run_id)
        loaded, min_at, max_at = con.execute(
            f"SELECT count(*), min({time_column}), max({time_column}) FROM batch"
        ).fetchall()[0]
        total_rejects = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
        quarantined = total_rejects - duplicates
        dates = [str(d) for (d,) in con.execute(
            "SELECT DISTINCT usage_date FROM batch ORDER BY 1").fetchall()]

        if loaded:
            # The file's lineage is bound here, not stored on every row of batch (_ingest_file).
            lineage = {"source_file": "CAST($source_file AS VARCHAR) AS source_file",
                       "file_sha256": "CAST($file_sha256 AS VARCHAR) AS file_sha256"}
            lake_columns = ", ".join(lineage.get(c, f'"{c}"')
                                     for c in schema.duckdb_columns(table) if c != "source")
            target = staging / table / f"source={source}" / "part.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            # One file, usage_date a column (pipelines/lake.py); zstd level 1: ~10 % less CPU
            # than the default level 3 for ~4 % more bytes (bench/README.md, issue 16). Rows
            # keep the order read within each block of rows DuckDB's threads take, not across
            # blocks: an ordered write of 1M rows costs a fifth more time (every row carries
            # its source_line, and readers order by what they need).
            con.execute("SET preserve_insertion_order = false")
            try:
                con.execute(
                    f"COPY (SELECT {lake_columns} FROM batch) TO '{_sql_path(target)}' "
                    "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)",
                    {"source_file": str(path), "file_sha256": sha},
                )
            finally:
                con.execute("SET preserve_insertion_order = true")
        if loaded and with_embeddings and con.execute(
                "SELECT count(*) FROM fp_embeddings").fetchall()[0][0]:
            # Only the embeddings of texts whose request loaded (not duplicates or rejects).
            target = staging / PROMPT_EMBEDDINGS / f"source={source}" / "part.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            con.execute(
                "COPY (SELECT * FROM fp_embeddings WHERE text_hash IN "
                "(SELECT last_user_hash FROM batch) ORDER BY text_hash) "
                f"TO '{_sql_path(target)}' (FORMAT parquet, COMPRESSION zstd)")
        if total_rejects:
            target = staging / QUARANTINE / f"source={source}" / "part.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"COPY (SELECT ? AS source, ? AS source_file, source_line, source_item, "
                f"? AS file_sha256, "
                f"request_id, reason_code, reason, excerpt, "
                f"CAST(? AS TIMESTAMPTZ) AS quarantined_at "
                f"FROM rejects ORDER BY source_line, source_item) "
                f"TO '{_sql_path(target)}' (FORMAT parquet)",
                [source, str(path), sha, ingested_at.isoformat()],
            )
        read = loaded + total_rejects
        marker = staging / INGEST_RUNS / "run.parquet"
        marker.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT ? AS run_id, ? AS source, ? AS source_file, ? AS file_sha256, "
            f"CAST(? AS BIGINT) AS file_bytes, CAST(? AS BIGINT) AS records_read, "
            f"CAST(? AS BIGINT) AS records_loaded, CAST(? AS BIGINT) AS records_duplicate, "
            f"CAST(? AS BIGINT) AS records_quarantined, CAST(? AS TIMESTAMPTZ) AS min_occurred_at, "
            f"CAST(? AS TIMESTAMPTZ) AS max_occurred_at, CAST(? AS DATE[]) AS usage_dates, "
            f"CAST(? AS TIMESTAMPTZ) AS ingested_at) "
            f"TO '{_sql_path(marker)}' (FORMAT parquet)",
            [run_id, source, str(path), sha, path.stat().st_size, read, loaded, duplicates,
             quarantined, min_at, max_at, dates, ingested_at.isoformat()],
        )
        if self.shared:
            lakehouse.publish(self.con, self.lake.staging_dir(run_id), run_id)
        else:
            self.lake.publish(run_id)
        con.execute("DROP TABLE batch")
        con.execute("DROP TABLE rejects")
        return FileResult(str(path), source, sha, "loaded", read, loaded, duplicates, quarantined,
                          run_id, dates)


def _sql_path(path: Path) -> str:
    """A path as a SQL string literal body. COPY ... TO takes no bound parameter for its target;
    the path is ours (data home + generated names), and quotes are escaped anyway."""
    return str(path).replace("'", "''")


def ingest_paths(paths: Iterable[Path], home: Home, *, source: str | None = None,
                 force: bool = False, progress: Progress | None = None) -> list[FileResult]:
    """Ingest files and directory trees; returns one result per file."""
    home.ensure()
    files = expand_paths(paths)
    results = []
    # A shared warehouse takes concurrent ingests (each commit is one DuckLake transaction).
    with nullcontext() if lakehouse.configured() else writer_lock(home.lock_file):
        ingestor = Ingestor(home)
        try:
            records = 0
            advance(progress, "ingest", 0, len(files), unit="files", records=0)
            for index, path in enumerate(files, start=1):
                try:
                    try:
                        path = landing_guard.check(path)
                        source_name = source_for(path, source, home.landing)
                    except ValueError as exc:
                        results.append(FileResult(str(path), "", "", "rejected", note=str(exc)))
                        continue
                    except UNREADABLE_FILE_ERRORS as exc:  # detection read a broken .gz
                        results.append(FileResult(str(path), "", "", "failed",
                                                  note=f"{type(exc).__name__}: {exc}"))
                        continue
                    if progress:
                        progress(f"[{index}/{len(files)}] {source_name}: {path}")
                    try:
                        results.append(
                            ingestor.ingest(path, source_name, force=force, progress=progress))
                    except UNREADABLE_FILE_ERRORS as exc:
                        # The file as a whole cannot be read (truncated gzip, I/O error): nothing
                        # of it is published; the rest of the batch goes on.
                        results.append(FileResult(str(path), source_name, "", "failed",
                                                  note=f"{type(exc).__name__}: {exc}"))
                finally:
                    if len(results) == index:
                        records += results[-1].records_read
                    advance(progress, "ingest", index, len(files), unit="files",
                            records=records, status=Path(str(path)).name)
        finally:
            ingestor.close()
    return results
