"""Source adapters: one SQL file per input format, turning raw JSON records into canonical rows.

Each adapter is a DuckDB query over ``records(source_line, raw, doc)`` that returns the
canonical request columns plus ``problems`` (a list of {code, reason}); the ingest framework
adds lineage, shared validation, dedupe and the lake write. Adding a source = one SQL file and
one entry below.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.paths import SOURCES_SQL_DIR


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    formats: str

    @property
    def sql_path(self) -> Path:
        return SOURCES_SQL_DIR / f"{self.name}.sql"

    def sql(self) -> str:
        return _read(self.sql_path)


@cache
def _read(path: Path) -> str:
    return path.read_text()


def macros_sql() -> str:
    return _read(SOURCES_SQL_DIR / "macros.sql")


SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source(
            "litellm",
            "LiteLLM proxy spend logs: SpendLogs rows or StandardLoggingPayload callbacks",
            "JSONL or JSON array; metadata/request_tags as JSON strings or objects",
        ),
        Source(
            "openai",
            "OpenAI SDK captures: Chat Completions or Responses bodies, bare or in the envelope",
            "JSONL (one body or capture envelope per line), JSON array, or one JSON document",
        ),
        Source(
            "anthropic",
            "Anthropic SDK captures: Messages bodies in the capture envelope",
            "JSONL (one capture envelope per line), JSON array, or one JSON document",
        ),
    )
}


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise ValueError(f"unknown source {name!r}; known sources: {known}") from None
