"""Source adapters: one SQL file per input format, turning raw JSON records into canonical rows.

Each adapter is ``pipelines/sources/<name>.sql``, a DuckDB query over
``records(source_line, raw, doc)`` returning the canonical columns of its table plus
``problems`` (a list of {code, reason}), and ``pipelines/sources/<name>.py`` declaring
``SOURCE``: its description, its table (``requests`` or ``usage_buckets``) and a content
signature used to detect the format. The ingest framework adds lineage, the shared checks
(``canonical_<table>.sql``), dedupe and the lake write. Modules here are discovered: adding a
source is adding those two files.
"""

from __future__ import annotations

import importlib
import pkgutil

from pipelines.sources.base import Signature, Source, body_of, macros_sql

__all__ = ["SOURCES", "Signature", "Source", "body_of", "get_source", "macros_sql"]


def _discover() -> dict[str, Source]:
    found = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        source = getattr(module, "SOURCE", None)
        if isinstance(source, Source):
            found[source.name] = source
    return found


SOURCES: dict[str, Source] = _discover()


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise ValueError(f"unknown source {name!r}; known sources: {known}") from None
