"""Landing folders and logs are untrusted input; the warehouse is shared with analysts.

Protected here:
- a symlink in a landing folder pointing outside it (or a name resolving outside it) is refused
  with a reason, and the rest of the batch loads;
- a gzip bomb stops at a decompression limit (reported as a failed file), a truncated .gz too,
  and the rest of the batch loads;
- a raw API key in a log (LiteLLM ``api_key``, metadata, tags; SDK envelope metadata) never
  reaches the lake or the warehouse: not in a column, a tags map, usage_raw or an excerpt;
- ``llmcost sql`` cannot write.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import envelope, fixture_json, ingest, query, recorded_bodies, write_jsonl

from pipelines import landing_guard, warehouse
from pipelines.ingest import ingest_paths
from pipelines.paths import PROJECT_ROOT, Home


def cli(home: Home, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "--home", str(home.root),
                           *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def openai_capture(request_id: str, *, metadata: dict | None = None) -> dict:
    (chat,) = recorded_bodies("openai/chat_completions_gpt-4o-mini.response.json")
    return envelope(chat, request_id=request_id, started_at="2025-03-01T10:00:00Z",
                    metadata=metadata or {"team": "growth"})


# With and without --source: detection reads the file too, and must report it as failed.
SOURCES_FOR_UNREADABLE = [None, "openai"]


def by_path(results) -> dict[str, object]:
    return {Path(r.path).name: r for r in results}


# -- symlinks and traversal -------------------------------------------------------------------

def test_symlink_out_of_the_landing_folder_is_refused_and_the_rest_loads(home, tmp_path):
    outside = tmp_path / "outside"
    secret = write_jsonl(outside / "secret.jsonl", [openai_capture("outside-1")])
    write_jsonl(outside / "dir" / "more.jsonl", [openai_capture("outside-2")])
    landing = home.ensure().landing / "openai"
    write_jsonl(landing / "good.jsonl", [openai_capture("inside-1")])
    (landing / "evil.jsonl").symlink_to(secret)
    (landing / "relative.jsonl").symlink_to(Path("..") / ".." / ".." / "outside" / "secret.jsonl")
    (landing / "linked_dir").symlink_to(outside / "dir", target_is_directory=True)
    (landing / "same.jsonl").symlink_to(landing / "good.jsonl")   # inside: fine

    results = by_path(ingest_paths([home.landing], home))

    assert results["good.jsonl"].status == "loaded"
    assert results["good.jsonl"].records_loaded == 1
    for name in ("evil.jsonl", "relative.jsonl", "linked_dir"):
        assert results[name].status == "rejected", results[name]
        assert "symlink" in results[name].note and "outside" in results[name].note
    assert results["same.jsonl"].status == "skipped"   # same content as good.jsonl
    warehouse.build(home)
    ids = {row["request_id"] for row in query(home, "SELECT request_id FROM requests")}
    assert ids == {"inside-1"}


def test_cli_names_the_refused_symlink(home, tmp_path):
    secret = write_jsonl(tmp_path / "outside" / "secret.jsonl", [openai_capture("outside-1")])
    landing = home.ensure().landing / "openai"
    write_jsonl(landing / "good.jsonl", [openai_capture("inside-1")])
    (landing / "evil.jsonl").symlink_to(secret)
    done = cli(home, "run")
    # The rest of the batch loads and is built, but a script must notice the refusal: exit 4.
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    assert f"rejected: {landing / 'evil.jsonl'}: refused:" in done.stderr
    assert str(secret) in done.stderr


def test_path_traversal_in_a_name_is_refused(tmp_path):
    root = tmp_path / "landing"
    (root / "sub").mkdir(parents=True)
    write_jsonl(tmp_path / "secret.jsonl", [openai_capture("x")])
    escaping = root / "sub" / ".." / ".." / "secret.jsonl"
    assert landing_guard.outside(escaping, root.resolve()).startswith("refused:")
    assert "path traversal" in landing_guard.outside(escaping, root.resolve())
    assert landing_guard.outside(root / "sub" / ".." / "sub", root.resolve()) is None
    with pytest.raises(landing_guard.RefusedFile, match="traversal"):
        landing_guard.check(landing_guard.Refused(escaping, "refused: path traversal"))


def test_a_file_named_directly_is_read_even_through_a_link(home, tmp_path):
    """The operator's own command line is trusted: only folder walks refuse links out."""
    real = write_jsonl(tmp_path / "exports" / "real.jsonl", [openai_capture("direct-1")])
    link = tmp_path / "elsewhere" / "link.jsonl"
    link.parent.mkdir()
    link.symlink_to(real)
    (result,) = ingest(home, link, "openai")
    assert result.status == "loaded" and result.records_loaded == 1


# -- gzip -------------------------------------------------------------------------------------

def gz(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=9))
    return path


@pytest.mark.parametrize("source", SOURCES_FOR_UNREADABLE)
def test_gzip_bomb_stops_at_the_limit_and_the_rest_loads(home, tmp_path, monkeypatch, source):
    monkeypatch.setenv(landing_guard.MAX_DECOMPRESSED_ENV, str(1 << 20))
    landing = home.ensure().landing / "openai"
    line = json.dumps(openai_capture("bomb-1")).encode() + b"\n"
    # ~40 MB of one repeated line compresses ~1000:1: past max(1 MiB, 100 x ~40 kB).
    bomb = gz(landing / "a_bomb.jsonl.gz", line * (40_000_000 // len(line)))
    assert bomb.stat().st_size * landing_guard.MAX_DECOMPRESSION_RATIO < 40_000_000
    gz(landing / "b_good.jsonl.gz", json.dumps(openai_capture("gz-good")).encode() + b"\n")

    results = by_path(ingest_paths([home.landing], home, source=source))

    assert results["a_bomb.jsonl.gz"].status == "failed", results["a_bomb.jsonl.gz"]
    assert "decompresses past" in results["a_bomb.jsonl.gz"].note
    assert results["b_good.jsonl.gz"].status == "loaded"
    assert results["b_good.jsonl.gz"].records_loaded == 1


def test_decompression_limit_scales_with_the_compressed_size(monkeypatch):
    monkeypatch.delenv(landing_guard.MAX_DECOMPRESSED_ENV, raising=False)
    assert landing_guard.max_decompressed_bytes(10) == 1 << 30
    assert landing_guard.max_decompressed_bytes(100 << 20) == 100 * (100 << 20)
    monkeypatch.setenv(landing_guard.MAX_DECOMPRESSED_ENV, "5000")
    assert landing_guard.max_decompressed_bytes(10) == 5000
    monkeypatch.setenv(landing_guard.MAX_DECOMPRESSED_ENV, "lots")
    with pytest.raises(ValueError, match=landing_guard.MAX_DECOMPRESSED_ENV):
        landing_guard.max_decompressed_bytes(10)


def test_a_normal_gzip_within_the_limit_reads_whole(home, monkeypatch):
    monkeypatch.setenv(landing_guard.MAX_DECOMPRESSED_ENV, str(1 << 20))
    records = [openai_capture(f"many-{i}") for i in range(300)]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    path = gz(home.ensure().landing / "openai" / "many.jsonl.gz", data)
    (result,) = ingest(home, path, "openai")
    assert result.status == "loaded" and result.records_loaded == 300


@pytest.mark.parametrize("source", SOURCES_FOR_UNREADABLE)
def test_truncated_gzip_fails_alone(home, source):
    landing = home.ensure().landing / "openai"
    landing.mkdir(parents=True)
    whole = gzip.compress(b"".join(json.dumps(openai_capture(f"t-{i}")).encode() + b"\n"
                                   for i in range(200)))
    (landing / "a_truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    write_jsonl(landing / "b_good.jsonl", [openai_capture("after-truncated")])

    results = by_path(ingest_paths([home.landing], home, source=source))

    assert results["a_truncated.jsonl.gz"].status == "failed", results["a_truncated.jsonl.gz"]
    assert results["b_good.jsonl"].status == "loaded"
    warehouse.build(home)
    ids = {row["request_id"] for row in query(home, "SELECT request_id FROM requests")}
    assert ids == {"after-truncated"}   # nothing of the truncated file was published


# -- raw API keys -----------------------------------------------------------------------------

KEYS = {
    "litellm_api_key": "sk-LeakTestLitellmApiKey0000000001",
    "litellm_user_api_key": "sk-LeakTestLitellmUserApiKey00002",
    "litellm_spend_logs_metadata": "sk-LeakTestSpendLogsMetadata00003",
    "litellm_request_tag": "sk-LeakTestRequestTag000000000004",
    "litellm_callback_hash": "sk-LeakTestCallbackUserKeyHash005",
    "openai_metadata": "sk-proj-LeakTestOpenaiMetadata0006",
    "openai_authorization": "sk-proj-LeakTestOpenaiBearer00007",
    "anthropic_metadata": "sk-ant-api03-LeakTestAnthropicMeta8",
    "quarantined_openai": "sk-proj-LeakTestQuarantined000009",
}


def leaky_litellm_rows() -> list[dict]:
    row = copy.deepcopy(fixture_json("litellm/spend_logs_payload.json"))
    row["request_id"] = "leak-litellm-spendlog"
    row["api_key"] = KEYS["litellm_api_key"]
    metadata = json.loads(row["metadata"])
    metadata["user_api_key"] = KEYS["litellm_user_api_key"]
    metadata["spend_logs_metadata"] = {"team": "search",
                                       "api_key": KEYS["litellm_spend_logs_metadata"]}
    row["metadata"] = json.dumps(metadata)
    row["request_tags"] = json.dumps(["team:search", f"key:{KEYS['litellm_request_tag']}"])
    callback = copy.deepcopy(fixture_json("litellm/standard_logging_payload.json"))
    callback["id"] = "leak-litellm-callback"
    callback["metadata"]["user_api_key_hash"] = KEYS["litellm_callback_hash"]
    callback["metadata"]["user_api_key"] = KEYS["litellm_user_api_key"]
    return [row, callback]


def leaky_envelopes() -> tuple[list[dict], list[dict | str]]:
    openai = openai_capture("leak-openai", metadata={
        "team": "growth", "api_key": KEYS["openai_metadata"],
        "authorization": f"Bearer {KEYS['openai_authorization']}"})
    broken = openai_capture("leak-openai-bad", metadata={"api_key": KEYS["quarantined_openai"]})
    broken["started_at"] = "2025-03-01T10:00:00"   # naive: quarantined with an excerpt
    bodies = recorded_bodies("anthropic/messages_cache_write_read_real_api.responses.json")
    anthropic = envelope(bodies[0], request_id="leak-anthropic",
                         started_at="2025-03-01T10:00:00Z",
                         metadata={"team": "support", "api_key": KEYS["anthropic_metadata"],
                                   "x-api-key": KEYS["anthropic_metadata"]})
    return [openai, broken], [anthropic]


def rows_containing(con: duckdb.DuckDBPyConnection, relation_sql: str, needle: str) -> int:
    """Rows of a relation whose JSON rendering (every column: maps, lists, usage_raw,
    excerpts) contains `needle`."""
    return con.execute(
        f"SELECT count(*) FROM ({relation_sql}) t WHERE contains(CAST(to_json(t) AS VARCHAR), ?)",
        [needle]).fetchall()[0][0]


def test_no_raw_api_key_reaches_the_lake_or_the_warehouse(home, tmp_path, monkeypatch):
    # With record text kept in quarantine excerpts (opt-in), keys are still redacted.
    monkeypatch.setenv("LLMCOST_STORE_TEXT", "1")
    landing = home.ensure().landing
    write_jsonl(landing / "litellm" / "spend.jsonl", leaky_litellm_rows())
    openai_records, anthropic_records = leaky_envelopes()
    write_jsonl(landing / "openai" / "captures.jsonl", openai_records)
    write_jsonl(landing / "anthropic" / "captures.jsonl", anthropic_records)
    # A line that is not JSON at all, holding a key: quarantined with an excerpt.
    (landing / "openai" / "captures.jsonl").open("a").write(
        f'{{"request_id": "torn", "api_key": "{KEYS["quarantined_openai"]}"\n')
    results = ingest_paths([landing], home)
    assert {r.status for r in results} == {"loaded"}, results
    assert sum(r.records_loaded for r in results) == 4
    assert sum(r.records_quarantined for r in results) == 2
    warehouse.build(home)

    leaks: dict[str, list[str]] = {}
    con = duckdb.connect()
    try:
        parquet = sorted(home.lake.rglob("*.parquet"))
        assert parquet
        for path in parquet:
            relation = f"SELECT * FROM read_parquet('{path}')"
            for name, key in KEYS.items():
                if rows_containing(con, relation, key):
                    leaks.setdefault(name, []).append(str(path.relative_to(home.root)))
    finally:
        con.close()
    con = warehouse.open_read_only(home)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()]
        assert {"requests", "quarantine", "daily_costs"} <= set(tables)
        for table in tables:
            for name, key in KEYS.items():
                if rows_containing(con, f"SELECT * FROM {table}", key):
                    leaks.setdefault(name, []).append(f"warehouse:{table}")
    finally:
        con.close()
    assert not leaks, f"raw API keys found: {leaks}"
    # The key is still usable for attribution, as a hash.
    (row,) = query(home, "SELECT api_key_hash FROM requests "
                         "WHERE request_id = 'leak-litellm-spendlog'")
    assert row["api_key_hash"] and not row["api_key_hash"].startswith("sk-")


# -- read-only sql ------------------------------------------------------------------------------

def test_sql_cannot_write(home):
    write_jsonl(home.ensure().landing / "openai" / "c.jsonl",
                [openai_capture("ro-1"), openai_capture("ro-2")])
    assert cli(home, "run").returncode == 0
    for statement in ("delete from requests", "drop table requests",
                      "create table x as select 1", "update requests set cost_usd = 0"):
        done = cli(home, "sql", statement)
        assert done.returncode == 1, (statement, done.stdout)
        assert "Traceback" not in done.stderr
        assert "llmcost: error:" in done.stderr and "read-only" in done.stderr, done.stderr
    (row,) = query(home, "SELECT count(*) AS n FROM requests")
    assert row["n"] == 2


def test_lock_wait_setting_is_validated(home):
    env = {**os.environ, "LLMCOST_LOCK_WAIT_SECONDS": "soon"}
    done = cli(home, "build", env=env)
    assert done.returncode == 1
    assert "LLMCOST_LOCK_WAIT_SECONDS" in done.stderr and "Traceback" not in done.stderr
