"""DuckDB connections configured the same way everywhere: UTC session, llmcost macros."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.sources import macros_sql


def sql_literal(text: str) -> str:
    """A SQL string literal, for the statements that take no bound parameters (table-function
    paths inside view DDL, ATTACH, CREATE SECRET). Only for values of our own or of the
    operator's configuration, never for input data."""
    return "'" + text.replace("'", "''") + "'"


def sql_list(texts: list[str]) -> str:
    """A SQL list of string literals (sql_literal's rules), e.g. files for read_parquet."""
    return "[" + ", ".join(map(sql_literal, texts)) + "]"


def connect(
    database: Path | str = ":memory:",
    *,
    read_only: bool = False,
    temp_directory: Path | None = None,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    config: dict[str, str] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(str(database), read_only=read_only, config=config)
    # ICU is statically linked but cannot be configured before it is loaded, hence SET.
    con.execute("SET TimeZone = 'UTC'")
    if temp_directory is not None:
        temp_directory.mkdir(parents=True, exist_ok=True)
        con.execute("SET temp_directory = ?", [str(temp_directory)])
    if not read_only:
        con.execute(macros_sql())
    return con
