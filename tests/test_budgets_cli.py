"""`llmcost budgets` and `llmcost anomalies` from a terminal: exact CSV for scripts, and a bad
budgets.toml stops with exit 1 and the key, before anything is built."""

from __future__ import annotations

from pipelines import db
from pipelines.cli import main
from pipelines.paths import Home
from tests.budget_rows import requests_table

BUDGET = """
[[budget]]
id = "monthly"
period = "month"
amount_usd = 100
action = "block"
"""


def _home(tmp_path) -> Home:
    home = Home(tmp_path).ensure()
    (home.root / "budgets.toml").write_text(BUDGET)
    con = db.connect(home.warehouse)
    con.register("rows", requests_table(
        [{"occurred_at": f"2025-06-03T{9 + i:02d}:00:00", "cost_usd": cost}
         for i, cost in enumerate([30, 15, 10, 30, 20, 5])]))
    con.execute("CREATE TABLE requests AS SELECT * FROM rows")
    con.close()
    return home


def test_budgets_commands_print_the_marts(tmp_path, capsys):
    home = _home(tmp_path)
    assert main(["--home", str(home.root), "budgets", "build"]) == 0
    capsys.readouterr()
    assert main(["--home", str(home.root), "budgets", "alerts", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("crossed_at,budget_id,scope_value,basis,threshold,spend_usd,request_id,"
                        "alert_id")
    assert [line.split(",")[:6] for line in lines[1:]] == [
        ["2025-06-03 11:00:00", "monthly", "all", "actual", "0.5", "55.00"],
        ["2025-06-03 12:00:00", "monthly", "all", "actual", "0.8", "85.00"],
        ["2025-06-03 13:00:00", "monthly", "all", "actual", "0.95", "105.00"],
        ["2025-06-03 13:00:00", "monthly", "all", "actual", "1.0", "105.00"]]
    assert main(["--home", str(home.root), "budgets", "replay", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "monthly,all,2025-06-01,block,1,0,0,110.00,105.00,5.00,2025-06-03 13:00")
    assert main(["--home", str(home.root), "anomalies", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1  # the header: six requests, no alarm


def test_a_bad_budgets_file_stops_before_building(tmp_path, capsys):
    home = _home(tmp_path)
    (home.root / "budgets.toml").write_text(BUDGET.replace('"month"', '"fortnight"'))
    assert main(["--home", str(home.root), "budgets", "build"]) == 1
    assert "period must be one of day, week, month, quarter" in capsys.readouterr().err
    con = db.connect(home.warehouse, read_only=True)
    tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    con.close()
    assert tables == {"requests"}
