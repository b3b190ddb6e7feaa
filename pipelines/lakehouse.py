"""The shared warehouse: the lake and the marts in a DuckLake (catalog in Postgres, Parquet on
object storage), for many workers at once.

Selected by configuration, the embedded ``$LLMCOST_HOME`` (``lake/`` + ``warehouse.duckdb``)
staying the default:

    LLMCOST_WAREHOUSE = ducklake:postgres:dbname=llmcost host=db.internal user=llmcost
    LLMCOST_LAKE_URI  = s3://bucket/llmcost/

``LLMCOST_WAREHOUSE`` is DuckLake's own attach string (the catalog; its password from libpq's
``PGPASSWORD`` or ``~/.pgpass``, never in the string), ``LLMCOST_LAKE_URI`` where the Parquet
data files go. Object storage credentials come from the standard AWS variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``, ``AWS_ENDPOINT_URL`` for an
S3-compatible store) or, without them, DuckDB's credential chain (instance or pod identity).

In the catalog, schema ``lake`` holds the canonical tables (what ``$LLMCOST_HOME/lake`` holds in
embedded mode) and ``main`` the marts. DuckLake gives every commit a snapshot: readers see the
last committed one while a build writes the next, a killed writer leaves no trace but
unreferenced files, and writers that touch different data files (different days of a table
partitioned by ``usage_date``, or appends) commit concurrently; DuckLake retries the commit
itself when the snapshots do not conflict logically.

The DuckLake, Postgres and httpfs extensions come from PyPI wheels
(``duckdb-extension-{ducklake,postgres-scanner,httpfs,aws}``, installed by ``make install-scale``)
that are built for one DuckDB release: nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from pipelines import db, schema
from pipelines.db import sql_literal

CATALOG = "llmcost"
LAKE_SCHEMA = "lake"
ATTACH_ATTEMPTS = 4
EXTENSIONS = ("ducklake", "postgres_scanner", "httpfs")
# Canonical tables as the shared lake keeps them, and their DuckLake partitioning (the Hive
# folders of the embedded lake become columns).
LAKE_TABLES = {"requests": ("usage_date",), "usage_buckets": ("usage_date",),
               "quarantine": (), "ingest_runs": (), "prompt_embeddings": ()}


class ConfigError(ValueError):
    """The shared-warehouse settings are incomplete or malformed."""


@dataclass(frozen=True)
class Config:
    warehouse: str  # DuckLake attach string
    lake_uri: str  # DATA_PATH

    @classmethod
    def from_env(cls) -> Config | None:
        """The shared warehouse configured in the environment, or None for embedded mode."""
        warehouse = os.environ.get("LLMCOST_WAREHOUSE", "").strip()
        if warehouse in ("", "embedded"):
            return None
        if not warehouse.startswith("ducklake:"):
            raise ConfigError(
                f"LLMCOST_WAREHOUSE={warehouse!r}: expected 'embedded' (the default) or a "
                "DuckLake attach string such as 'ducklake:postgres:dbname=llmcost host=...'")
        lake_uri = os.environ.get("LLMCOST_LAKE_URI", "").strip()
        if not lake_uri:
            raise ConfigError("LLMCOST_WAREHOUSE names a DuckLake but LLMCOST_LAKE_URI is not "
                              "set: where should its Parquet files go (s3://bucket/prefix/)?")
        if not lake_uri.endswith("/"):
            lake_uri += "/"
        return cls(warehouse, lake_uri)


def configured() -> Config | None:
    return Config.from_env()


def _load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    try:
        con.execute(f"LOAD {name}")
    except duckdb.Error:
        try:
            from duckdb_extensions import import_extension
        except ImportError as exc:
            raise ConfigError(
                f"the DuckDB extension {name!r} is not installed: the shared warehouse needs "
                "`make install-scale` (DuckDB with the ducklake, postgres, httpfs and aws "
                "extension wheels)") from exc
        import_extension(name)
        # The wheel installs the extension; it is not loaded until asked.
        con.execute(f"LOAD {name}")


def _load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    # Never download an extension at run time: a missing one is an install problem.
    con.execute("SET autoinstall_known_extensions = false")
    for name in EXTENSIONS:
        _load_extension(con, name)


def _s3_secret(con: duckdb.DuckDBPyConnection, lake_uri: str) -> None:
    if not lake_uri.startswith(("s3://", "s3a://", "r2://", "gcs://", "gs://")):
        return
    key_id = os.environ.get("AWS_ACCESS_KEY_ID")
    if not key_id:
        _load_extension(con, "aws")  # the credential chain lives in DuckDB's aws extension
        con.execute("CREATE OR REPLACE SECRET llmcost_lake (TYPE s3, PROVIDER credential_chain)")
        return
    options = {"KEY_ID": key_id, "SECRET": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
               "REGION": os.environ.get("AWS_REGION")
               or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    if os.environ.get("AWS_SESSION_TOKEN"):
        options["SESSION_TOKEN"] = os.environ["AWS_SESSION_TOKEN"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    settings = ""
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        options["ENDPOINT"] = parts.netloc
        # S3-compatible stores (MinIO, moto, Ceph) address buckets by path.
        options["URL_STYLE"] = "path"
        settings = f", USE_SSL {'true' if parts.scheme == 'https' else 'false'}"
    body = ", ".join(f"{key} {sql_literal(value)}" for key, value in options.items())
    con.execute(f"CREATE OR REPLACE SECRET llmcost_lake (TYPE s3, {body}{settings})")


def attach(con: duckdb.DuckDBPyConnection, config: Config, *, read_only: bool = False,
           use: bool = True) -> None:
    """Attach the shared warehouse to `con` as ``llmcost``; with `use`, make it the default
    catalog, so the marts' SQL names its tables as in embedded mode (the llmcost macros, made
    in the in-memory catalog, stay on the search path)."""
    _load_extensions(con)
    _s3_secret(con, config.lake_uri)
    options = f"DATA_PATH {sql_literal(config.lake_uri)}"
    if read_only:
        options += ", READ_ONLY"
    for attempt in range(1, ATTACH_ATTEMPTS + 1):
        try:
            con.execute(f"ATTACH {sql_literal(config.warehouse)} AS {CATALOG} ({options})")
            break
        except duckdb.Error:
            # The first ATTACH to an empty catalog creates DuckLake's metadata tables; two
            # workers starting at once race on that, and the loser finds them made.
            if attempt == ATTACH_ATTEMPTS:
                raise
            time.sleep(0.5 * attempt)
    if use:
        con.execute(f"USE {CATALOG}")
        con.execute(f"SET search_path = '{CATALOG}.main,memory.main'")
    if not read_only:
        ensure_lake_tables(con)


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open: a failed COMMIT has already ended it, and its
    error (the one worth reporting) must not be replaced by ROLLBACK's."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def table_exists(con: duckdb.DuckDBPyConnection, schema_name: str, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ?", [CATALOG, schema_name, name]).fetchall()[0][0])


def create_once(con: duckdb.DuckDBPyConnection, schema_name: str, name: str,
                statements: list[str]) -> None:
    """Create a table in its own short transaction. Two workers starting at once may both try:
    the loser's commit fails as a conflict, and the table it wanted exists."""
    if table_exists(con, schema_name, name):
        return
    try:
        con.execute("BEGIN TRANSACTION")
        for statement in statements:
            con.execute(statement)
        con.execute("COMMIT")
    except duckdb.Error:
        rollback(con)
        if not table_exists(con, schema_name, name):
            raise


def ensure_lake_tables(con: duckdb.DuckDBPyConnection) -> None:
    options = {row[0]: row[2] for row in con.execute(f"FROM {CATALOG}.options()").fetchall()}
    if options.get("parquet_compression") != "zstd":
        # The embedded lake's codec (DuckLake writes snappy by default: +65 % bytes).
        try:
            con.execute(f"CALL {CATALOG}.set_option('parquet_compression', 'zstd')")
        except duckdb.Error:  # set by a concurrent worker
            pass
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{LAKE_SCHEMA}")
    except duckdb.Error:  # created by a concurrent worker
        pass
    for table, partitioning in LAKE_TABLES.items():
        columns = ", ".join(f'"{name}" {sql_type}'
                            for name, sql_type in lake_columns(table).items())
        statements = [f"CREATE TABLE IF NOT EXISTS {CATALOG}.{LAKE_SCHEMA}.{table} ({columns})"]
        if partitioning:
            statements.append(f"ALTER TABLE {CATALOG}.{LAKE_SCHEMA}.{table} SET PARTITIONED BY "
                              f"({', '.join(partitioning)})")
        create_once(con, LAKE_SCHEMA, table, statements)
        _add_missing_columns(con, table)


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """A lake created by an older release gains the columns the canonical schema added since
    (e.g. ingest_runs.usage_dates); its rows read them as NULL. A concurrent worker adding the
    same column makes this one's ALTER fail: the column is there, which is all that counts."""
    name = f"{CATALOG}.{LAKE_SCHEMA}.{table}"
    describe = f"DESCRIBE {name}"
    present = {row[0] for row in con.execute(describe).fetchall()}
    for column, sql_type in lake_columns(table).items():
        if column in present:
            continue
        try:
            con.execute(f'ALTER TABLE {name} ADD COLUMN IF NOT EXISTS "{column}" {sql_type}')
        except duckdb.Error:
            rollback(con)
            if column not in {row[0] for row in con.execute(describe).fetchall()}:
                raise


# How each canonical table is staged by an ingest run (pipelines/ingest.py): Hive folders
# (source=) or columns inside the file.
_STAGED_HIVE = {"requests": {"source": "VARCHAR"},
                "usage_buckets": {"source": "VARCHAR"},
                "prompt_embeddings": None, "quarantine": None, "ingest_runs": None}


def publish(con: duckdb.DuckDBPyConnection, staging: Path, run_id: str) -> None:
    """Commit one ingest run's staged Parquet into the shared lake: every table and the
    ``ingest_runs`` record in one DuckLake transaction, so readers see all of the run or none
    of it. Appends from concurrent workers do not conflict."""
    if not (staging / "ingest_runs").exists():
        raise RuntimeError(f"run {run_id} staged no ingest_runs record")
    con.execute("BEGIN TRANSACTION")
    try:
        for table, hive in _STAGED_HIVE.items():
            folder = staging / table
            if not folder.exists():
                continue
            files = sql_literal(str(folder / "**" / "*.parquet"))
            options = "union_by_name = true"
            if hive:
                types = ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in hive.items())
                options += f", hive_partitioning = true, hive_types = {{{types}}}"
            else:
                options += ", hive_partitioning = false"
            run_column = "" if table == "ingest_runs" else ", ? AS run_id"
            con.execute(
                f"INSERT INTO {CATALOG}.{LAKE_SCHEMA}.{table} BY NAME "
                f"SELECT *{run_column} FROM read_parquet({files}, {options})",
                [] if table == "ingest_runs" else [run_id])
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    shutil.rmtree(staging, ignore_errors=True)


def lake_columns(table: str) -> dict[str, str]:
    """Columns of a canonical table in the shared lake: the canonical schema plus ``run_id``,
    which the embedded lake keeps in each file's name (lineage, and what a build has seen)."""
    columns = dict(schema.duckdb_columns(table))
    columns.setdefault("run_id", "VARCHAR")
    return columns


def connect(config: Config, *, read_only: bool = False, temp_directory=None,
            memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    con = db.connect(temp_directory=temp_directory, memory_limit=memory_limit)
    attach(con, config, read_only=read_only)
    return con


def open_read_only(config: Config, *, sandbox: bool = False) -> duckdb.DuckDBPyConnection:
    """The shared warehouse, read-only, at its last committed snapshot. With `sandbox` (SQL
    typed by someone else), DuckDB may read nothing but the lake's own data path, load no
    further extension, and the configuration is locked."""
    con = connect(config, read_only=True)
    if sandbox:
        con.execute("SET allowed_directories = ?", [[config.lake_uri]])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con
