"""Split a landing file into raw records, in bounded chunks, without losing any.

A record is one JSON document with its 1-based position: the line of a JSONL file, or the
element of a JSON array file, or 1 for a file holding a single (possibly pretty-printed) JSON
object, or a CSV row turned into a JSON object of strings (header -> value; position = line,
the header being line 1). Lines are split in bulk (bytes.split in C, then one Arrow array per
chunk), never parsed here: DuckDB parses them in the adapter SQL. Lines that are not valid
UTF-8 keep their position and carry ``read_error`` so the adapter can quarantine them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from pipelines import landing_guard

CHUNK_BYTES = 128 * 1024 * 1024
BATCH_ROWS = 4096
# DuckDB works on vectors of up to one record batch (at most 2,048 rows), and a wide adapter
# keeps several copies of each record's JSON in flight; records carrying whole prompts (20-60 KB
# each) would need gigabytes per vector at 4,096 rows. Batches hold about this many bytes.
BATCH_BYTES = 8 * 1024 * 1024

RAW_SCHEMA = pa.schema(
    [
        pa.field("source_line", pa.int64(), nullable=False),
        pa.field("raw", pa.string()),
        pa.field("read_error", pa.string()),
    ]
)


@dataclass
class RawChunk:
    table: pa.Table
    blank_lines: int


def open_binary(path: Path) -> io.BufferedIOBase:
    """Open a landing file for reading bytes, transparently un-gzipping ``.gz`` files."""
    if path.suffix == ".gz":
        # Bounded: raises OSError past landing_guard's decompression limit (gzip bombs).
        return landing_guard.open_gzip(path)
    return open(path, "rb")


MAX_DOCUMENT_BYTES = 256 * 1024 * 1024


def layout(path: Path) -> str:
    """'array', 'document' or 'lines', decided from the content, not the file name.

    A file whose first record does not parse on its own line is either one pretty-printed
    document or JSONL with a broken first line: 'maybe-document' is tried as a whole and falls
    back to lines, so one bad line never costs the rest of the file."""
    with open_binary(path) as handle:
        first = b""
        while not first.strip():
            first = handle.readline(MAX_DOCUMENT_BYTES)
            if not first:
                return "lines"
    stripped = first.removeprefix(b"\xef\xbb\xbf").strip()
    if stripped.startswith(b"["):
        return "array"
    try:
        json.loads(stripped)
        return "lines"
    except (ValueError, RecursionError):
        pass
    if stripped.startswith(b"{"):
        return "maybe-document"
    if _CSV_HEADER.match(stripped.decode("utf-8", errors="replace")):
        return "csv"
    return "lines"


# A header of at least two column names (exports: "response_id,response_created_at,...").
_CSV_HEADER = re.compile(r'^\ufeff?"?[A-Za-z_][\w .()/-]*"?(,"?[A-Za-z_][\w .()/-]*"?)+$')
CSV_BATCH_ROWS = 100_000


def _csv_table(frame: pl.DataFrame, first_line: int) -> RawChunk:
    """Blank lines come back as all-null rows: they keep the numbering and are dropped here."""
    columns = frame.columns
    frame = frame.with_row_index("source_line", offset=first_line)
    blank = pl.all_horizontal(pl.col(columns).is_null())
    blank_lines = frame.filter(blank).height
    frame = frame.filter(~blank)
    encoded = frame.select(
        pl.col("source_line").cast(pl.Int64),
        pl.struct(columns).struct.json_encode().alias("raw"),
        pl.lit(None, dtype=pl.String).alias("read_error"),
    )
    return RawChunk(encoded.to_arrow().cast(RAW_SCHEMA), blank_lines)


def _iter_csv(path: Path) -> Iterator[RawChunk]:
    """CSV rows as JSON objects of strings, in batches; the adapter casts. A file polars cannot
    read as a rectangle (rows with extra fields) is re-read row by row so the odd rows are
    quarantined with their line and the rest load."""
    try:
        if path.suffix == ".gz":
            with open_binary(path) as handle:
                data = handle.read(MAX_DOCUMENT_BYTES + 1)
            if len(data) > MAX_DOCUMENT_BYTES:
                raise OSError(f"{path}: compressed CSV over {MAX_DOCUMENT_BYTES >> 20} MB "
                              "decompressed; decompress it first")
            frames = [pl.read_csv(io.BytesIO(data), infer_schema=False)]
        else:
            frames = list(pl.scan_csv(path, infer_schema=False).collect_batches(
                chunk_size=CSV_BATCH_ROWS))
    except pl.exceptions.PolarsError:
        yield from _iter_csv_rows(path)
        return
    line = 2
    for frame in frames:
        yield _csv_table(frame, line)
        line += frame.height


def _iter_csv_rows(path: Path) -> Iterator[RawChunk]:
    with open_binary(path) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="")
        csv.field_size_limit(2**31 - 1)
        reader = csv.reader(text)
        header = next(reader, [])
        positions, texts, errors = [], [], []
        for offset, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            positions.append(offset)
            texts.append(json.dumps(dict(zip(header, row, strict=False)), ensure_ascii=False))
            errors.append(None if len(row) == len(header) else
                          f"CSV row has {len(row)} fields, the header has {len(header)}")
    yield RawChunk(pa.table([pa.array(positions, pa.int64()), pa.array(texts, pa.string()),
                             pa.array(errors, pa.string())], schema=RAW_SCHEMA), 0)


def _chunk_table(lines: list[str], errors: list[str | None] | None, first_line: int) -> RawChunk:
    """The slow path: lines already split in Python (documents, or a chunk with bad UTF-8)."""
    positions, texts, read_errors = [], [], []
    blank = 0
    for offset, text in enumerate(lines):
        if not text.strip(" \t\n\r\x0b\x0c"):
            blank += 1
            continue
        positions.append(first_line + offset)
        texts.append(text)
        read_errors.append(errors[offset] if errors else None)
    table = pa.table(
        [pa.array(positions, pa.int64()), pa.array(texts, pa.string()),
         pa.array(read_errors, pa.string())],
        schema=RAW_SCHEMA,
    )
    return RawChunk(table, blank)


def _lines_chunk(block: bytes | memoryview, first_line: int) -> tuple[RawChunk, int]:
    """Whole lines, each ending in a newline (the last may not) -> a chunk, built over the
    block's own bytes: newline offsets come from numpy and the Arrow string array is laid over
    the buffer, so there is no Python object per line. Each record keeps its line break (JSON
    ignores it); blank lines are dropped here. Returns the chunk and the block's line count."""
    data = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(data == 10) + 1
    if not len(ends) or ends[-1] != len(block):
        ends = np.append(ends, len(block))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    count = len(ends)
    lines = pa.LargeStringArray.from_buffers(
        count, pa.py_buffer(offsets), pa.py_buffer(block))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        texts, errors = _decode_lines(bytes(block).removesuffix(b"\n"))
        return _chunk_table(texts, errors, first_line), count
    # A blank line is at most "\r\n" plus spaces: only short lines need the string check.
    lengths = np.diff(offsets)
    blank = np.zeros(count, dtype=bool)
    for index in np.flatnonzero(lengths <= 16):
        blank[index] = not bytes(block[offsets[index]:offsets[index + 1]]).strip()
    positions = np.arange(first_line, first_line + count, dtype=np.int64)
    blanks = int(blank.sum())
    if blanks:
        keep = ~blank
        positions, lines = positions[keep], lines.filter(pa.array(keep))
    table = pa.table(
        [pa.array(positions), lines.cast(pa.string()), pa.nulls(count - blanks, pa.string())],
        schema=RAW_SCHEMA,
    )
    return RawChunk(table, blanks), count


def _decode_lines(block: bytes) -> tuple[list[str], list[str | None]]:
    """Slow path for a chunk holding invalid UTF-8: find the bad lines one by one."""
    texts: list[str] = []
    errors: list[str | None] = []
    for line in block.split(b"\n"):
        try:
            texts.append(line.decode("utf-8"))
            errors.append(None)
        except UnicodeDecodeError as exc:
            texts.append(line.decode("utf-8", errors="replace"))
            errors.append(f"invalid UTF-8 at byte {exc.start}")
    return [t.rstrip("\r") for t in texts], errors


def _iter_lines(path: Path, chunk_bytes: int) -> Iterator[RawChunk]:
    next_line = 1
    carry = b""
    with open_binary(path) as handle:
        while True:
            block = handle.read(chunk_bytes)
            if not block:
                break
            if next_line == 1 and not carry and block.startswith(b"\xef\xbb\xbf"):
                block = b"   " + block[3:]  # a UTF-8 BOM: keep offsets, lose the mark
            block = carry + block
            cut = block.rfind(b"\n")
            if cut < 0:
                carry = block
                continue
            carry = block[cut + 1 :]
            chunk, count = _lines_chunk(memoryview(block)[: cut + 1], next_line)
            yield chunk
            next_line += count
    if carry:
        yield _lines_chunk(carry, next_line)[0]


def _iter_json_document(path: Path, layout: str) -> Iterator[RawChunk]:
    """Whole-file JSON (an array of records, or one object). Bounded by MAX_DOCUMENT_BYTES, so
    large exports should be JSONL; an unparsable array becomes one malformed record at
    position 0, an unparsable object file is read as lines."""
    with open_binary(path) as handle:
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        if layout == "maybe-document":
            yield from _iter_lines(path, CHUNK_BYTES)
            return
        raise OSError(f"{path}: a JSON array file over {MAX_DOCUMENT_BYTES >> 20} MB; "
                         "split it or convert it to JSONL")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # Not one document: JSONL whose first line is broken or is itself an array. Lines
        # keep every record countable.
        if layout == "maybe-document" or b"\n" in data.strip():
            yield from _iter_lines(path, CHUNK_BYTES)
            return
        text = data[:2000].decode("utf-8", errors="replace")
        table = pa.table(
            [pa.array([0], pa.int64()), pa.array([text], pa.string()),
             pa.array([f"file is not valid JSON: {exc}"], pa.string())],
            schema=RAW_SCHEMA,
        )
        yield RawChunk(table, 0)
        return
    elements = document if layout == "array" and isinstance(document, list) else [document]
    texts = [json.dumps(element, ensure_ascii=False) for element in elements]
    yield _chunk_table(texts, None, 1)


def iter_raw_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[RawChunk]:
    """Yield the records of ``path`` as Arrow tables (source_line, raw, read_error), each cut
    into record batches (zero-copy slices) so DuckDB scans a chunk on every core."""
    shape = layout(path)
    if shape == "lines":
        chunks = _iter_lines(path, chunk_bytes)
    elif shape == "csv":
        chunks = _iter_csv(path)
    else:
        chunks = _iter_json_document(path, shape)
    for chunk in chunks:
        rows = chunk.table.num_rows
        average = chunk.table.column("raw").nbytes / rows if rows else 1
        batch_rows = int(min(BATCH_ROWS, max(16, BATCH_BYTES // max(average, 1))))
        batches = chunk.table.to_batches(max_chunksize=batch_rows)
        yield RawChunk(pa.Table.from_batches(batches, schema=RAW_SCHEMA), chunk.blank_lines)
