"""The CLI in scripts, pipes and shared hands.

Real-world failures this protects against: a cron job that ingests a file no source recognises
and never notices (the command printed `rejected` and exited 0); `llmcost sql ... | head -3`
ending in a Python BrokenPipeError traceback; `llmcost sql`, documented read-only, writing a file
anywhere with `COPY ... TO` and reading any file with `read_text` when the warehouse is handed to
others (a notebook service, a bot passing SQL through); JSON output that rounds DECIMAL costs
through float. Every test runs the real CLI in a subprocess against a real warehouse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.cli import EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from pipelines.paths import PROJECT_ROOT

FIXTURE = PROJECT_ROOT / "tests/fixtures/openai/chat_completions_gpt-4o-mini.response.json"
# gpt-4o-mini, 12 input + 5 output tokens at $0.15 / $0.60 per 1M.
FIXTURE_COST = Decimal("0.000004800000")


def run_cli(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "--home", str(home), *args],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli_home")
    done = run_cli(root, "ingest", str(FIXTURE))
    assert done.returncode == EXIT_OK, done.stderr
    done = run_cli(root, "build")
    assert done.returncode == EXIT_OK, done.stderr
    return root


# -- exit codes --------------------------------------------------------------------------------

def test_a_file_no_source_recognises_exits_4_and_the_rest_still_loads(tmp_path):
    weird = tmp_path / "weird.jsonl"
    weird.write_text('{"hello": "world"}\n')
    good = tmp_path / "good.json"
    shutil.copy(FIXTURE, good)
    home = tmp_path / "home"
    done = run_cli(home, "ingest", str(weird), str(good))
    assert done.returncode == EXIT_PARTIAL, done.stderr
    assert "rejected" in done.stderr and "weird.jsonl" in done.stderr
    # The good file loaded anyway; ingesting it again is a skip, which is a success.
    assert "1 loaded" in done.stdout
    again = run_cli(home, "ingest", str(good))
    assert again.returncode == EXIT_OK, again.stderr
    assert "skipped" in again.stdout


def test_run_exits_4_when_landing_holds_a_rejected_file(tmp_path):
    home = tmp_path / "home"
    (home / "landing").mkdir(parents=True)
    shutil.copy(FIXTURE, home / "landing" / "good.json")
    (home / "landing" / "notes.jsonl").write_text('{"meeting": "tuesday"}\n')
    done = run_cli(home, "run", "--no-savings")
    assert done.returncode == EXIT_PARTIAL, done.stderr
    # The build still ran over what loaded.
    counted = run_cli(home, "sql", "select count(*) as n from requests", "--format", "csv")
    assert counted.returncode == EXIT_OK and counted.stdout.splitlines() == ["n", "1"]


def test_an_unreadable_gzip_exits_4(tmp_path):
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    done = run_cli(tmp_path / "home", "ingest", str(broken))
    assert done.returncode == EXIT_PARTIAL, done.stdout + done.stderr


@pytest.mark.parametrize("args", [("frobnicate",), ("sql",), ("build", "--date", "x", "--nope")])
def test_usage_errors_exit_2(tmp_path, args):
    done = run_cli(tmp_path, *args)
    assert done.returncode == EXIT_USAGE
    assert "usage:" in done.stderr


def test_build_with_a_bad_price_override_exits_1_with_the_row(tmp_path, home):
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    overrides = copy / "pricing" / "overrides.csv"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    header = (PROJECT_ROOT / "pricing" / "prices.csv").read_text().splitlines()[0]
    overrides.write_text(header + "\nx,openai,gpt-4o-mini,standard,0,2024-01-01,,abc,0,0,0,0,,,\n")
    done = run_cli(copy, "build", "--full")
    assert done.returncode == EXIT_ERROR
    assert "overrides.csv:2" in done.stderr and "not a number" in done.stderr
    assert "Traceback" not in done.stderr


def test_savings_with_a_bad_settings_file_exits_1(tmp_path, home):
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    (copy / "savings.toml").write_text("[cache]\nttl_seconds = -5\n")
    done = run_cli(copy, "savings")
    assert done.returncode == EXIT_ERROR, done.stdout + done.stderr
    assert "ttl_seconds" in done.stderr and "Traceback" not in done.stderr


def test_sql_on_a_missing_warehouse_exits_1(tmp_path):
    done = run_cli(tmp_path / "empty", "sql", "select 1")
    assert done.returncode == EXIT_ERROR
    assert "no warehouse" in done.stderr


# -- pipes ---------------------------------------------------------------------------------------

def test_a_closed_pipe_ends_quietly(home):
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "--home", str(home), "sql",
         "select range as n, repeat('x', 200) as pad from range(200000)", "--format", "csv"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # what `head -1` does after its line
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert first == b"n,pad\n"
    assert process.returncode == EXIT_BROKEN_PIPE
    assert stderr == ""


def test_head_in_a_real_shell_pipeline(home):
    done = subprocess.run(
        f"{sys.executable} -m pipelines.cli --home {home} sql "
        "'select range from range(100000)' --format csv | head -3",
        shell=True, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines() == ["range", "0", "1"]
    assert done.stderr == ""


# -- the SQL sandbox -------------------------------------------------------------------------

SECRET = "not for the warehouse's readers"


@pytest.mark.parametrize("query", [
    "select * from read_text('{secret}')",
    "select * from read_csv('{secret}')",
    "select * from glob('{dir}/*')",
    "copy (select * from requests) to '{dir}/out.csv'",
    "export database '{dir}/dump'",
    "attach '{dir}/other.duckdb' as other",
    "install httpfs",
    "load httpfs",
])
def test_sql_refuses_files_databases_and_extensions(home, tmp_path, query):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    done = run_cli(home, "sql", query.format(secret=secret, dir=tmp_path))
    assert done.returncode == EXIT_ERROR
    assert "llmcost sql is sandboxed" in done.stderr
    assert "--allow-files" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.txt"]


@pytest.mark.parametrize("query", [
    "set enable_external_access = true",
    "reset enable_external_access",
    "set lock_configuration = false",
    "set allow_community_extensions = true",
    "pragma enable_profiling",
])
def test_sql_refuses_to_change_the_settings_back(home, query):
    done = run_cli(home, "sql", query)
    assert done.returncode == EXIT_ERROR
    assert "settings are locked" in done.stderr


def test_sql_still_reads_the_warehouse_under_the_sandbox(home):
    done = run_cli(home, "sql", "select model, cost_usd from requests", "--format", "csv")
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stdout.splitlines() == ["model,cost_usd", f"gpt-4o-mini,{FIXTURE_COST}"]


def test_allow_files_lifts_the_sandbox(home, tmp_path):
    target = tmp_path / "requests.csv"
    done = run_cli(home, "sql", f"copy (select request_id from requests) to '{target}'",
                   "--allow-files")
    assert done.returncode == EXIT_OK, done.stderr
    assert target.read_text().splitlines() == [
        "request_id", "chatcmpl-ASYMQRl3A3DXL9FWCK9tnGRcKIO7q"]
    via_env = run_cli(home, "sql", f"select count(*) as n from read_csv('{target}')",
                      "--format", "csv", env={"LLMCOST_SQL_ALLOW_FILES": "1"})
    assert via_env.returncode == EXIT_OK, via_env.stderr
    assert via_env.stdout.splitlines() == ["n", "1"]


# -- machine formats ---------------------------------------------------------------------------

EXACT = ("select 12345678.123456789012::decimal(38,12) as cost_usd, 0.1::double as ratio, "
         "date '2026-11-20' as usage_date, 1234567 as requests")


def test_json_keeps_every_digit(home):
    done = run_cli(home, "sql", EXACT, "--format", "json")
    assert done.returncode == EXIT_OK, done.stderr
    rows = json.loads(done.stdout, parse_float=Decimal)
    assert rows == [{"cost_usd": Decimal("12345678.123456789012"), "ratio": Decimal("0.1"),
                     "usage_date": "2026-11-20", "requests": 1234567}]


def test_json_of_no_rows_is_an_empty_array(home):
    done = run_cli(home, "sql", "select * from requests where false", "--format", "json")
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout) == []


def test_csv_is_exact_and_table_is_rounded_for_people(home):
    csv_out = run_cli(home, "sql", EXACT, "--format", "csv")
    assert csv_out.stdout.splitlines() == [
        "cost_usd,ratio,usage_date,requests", "12345678.123456789012,0.1,2026-11-20,1234567"]
    table = run_cli(home, "sql", EXACT)
    assert "12,345,678.123456789012" in table.stdout and "1,234,567" in table.stdout
    assert "0.10" in table.stdout
    for done in (csv_out, table):
        assert done.stderr == ""
