"""The HTML report (`llmcost report --html`) against a real warehouse built from the demo
workload, with the marts other parts of llmcost build absent (today's warehouse) and present
(hand-made tables with the columns their issues specify).

Quirks protected: a mart that does not exist yet must not break the page (the section says
so); a mart of another shape breaks only its own section; the KPI total is `daily_costs` to the
last digit (DECIMAL, not a float's rounding); month-to-date, forecast and the change against the
previous month are computed on the data's own last day; in Chromium, every chart renders, no
console error, no request but the file itself, and a legend click works offline.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from browser_cdp import Browser, chromium_path
from webreport_fixtures import add_other_marts, demo_home

from pipelines import cli, webreport
from pipelines.definitions import defs
from pipelines.defs.report import report_html
from pipelines.defs.resources import LlmcostResource
from pipelines.paths import Home
from pipelines.webreport import kpi

# Marts built by other steps than `build` (budgets run after the savings step).
OTHERS = ["budget_status", "spend_anomalies"]


@pytest.fixture(scope="module")
def homes(tmp_path_factory) -> tuple[Home, Home]:
    """(today's warehouse, the same with the other issues' marts)."""
    with pytest.MonkeyPatch.context() as patch:
        # The tests' embedder (no model to load): the page reads the marts, not the vectors.
        patch.setenv("LLMCOST_EMBEDDER", "hashing-char3_5-256")
        absent = demo_home(tmp_path_factory.mktemp("report_absent"))
    present = Home(tmp_path_factory.mktemp("report_present"))
    present.ensure()
    shutil.copy(absent.warehouse, present.warehouse)
    add_other_marts(present.warehouse)
    return absent, present


def write(home: Home, target: Path) -> tuple[webreport.HtmlReport, str]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        written = webreport.write(con, target)
    finally:
        con.close()
    return written, target.read_text()


def kpi_value(page: str, key: str) -> str:
    return re.search(rf'data-kpi="{key}" data-value="([^"]+)"', page).group(1)


def test_absent_marts_say_so_and_the_page_still_renders(homes, tmp_path):
    written, page = write(homes[0], tmp_path / "absent.html")
    assert written.errors == []
    assert written.missing_marts == OTHERS
    assert written.sections == 9
    # daily spend, four Pareto charts, sessions, savings by lever (no bill: no bill chart)
    assert written.charts == 7
    for mart in OTHERS:
        assert f'data-missing-mart="{mart}"' in page
    # the routing and reconciliation marts exist but are empty (no policy in this home's
    # savings.toml, no provider bill)
    assert "routing_curve is empty: no routing policy in savings.toml." in page
    assert "reconciliation is empty: no provider bill to reconcile the logs with." in page
    assert page.count("<script") == 1 + written.charts  # plotly.js once, one per chart
    assert not re.search(r'<script[^>]+src=|<link[^>]+href=|@import|url\(http', page)


def test_kpi_total_and_month_to_date_equal_daily_costs(homes, tmp_path):
    written, page = write(homes[0], tmp_path / "kpi.html")
    con = duckdb.connect(str(homes[0].warehouse), read_only=True)
    total, mtd, requests = con.execute("""
        select sum(cost_usd), sum(cost_usd) filter (where usage_date >= date '2026-11-01'),
               sum(requests) from daily_costs""").fetchone()
    con.close()
    assert isinstance(total, Decimal)
    assert kpi_value(page, "total") == str(total)
    assert kpi_value(page, "mtd") == str(mtd)
    assert f"${float(total):,.2f}</div>" in page
    assert f"{requests:,} requests" in page
    # every section names its marts; the SQL behind it is on the page
    assert 'data-section="daily" data-marts="daily_costs"' in page
    assert 'data-section="sessions" data-marts="session_costs"' in page
    assert "from session_costs group by feature" in page


def test_kpi_header_on_hand_made_days():
    """Oct 1-3 at $10/day; Nov 1-10 at $1..$10. MTD 55; run rate (Nov 4-10) 49/7 = 7/day x 20
    days left = forecast 195; previous period Oct 1-10 = 30 -> +83.3%; 3 of 36 requests unpriced."""
    con = duckdb.connect()
    con.execute("create table daily_costs (usage_date date, cost_usd decimal(38, 12), "
                "requests bigint, unpriced_requests bigint)")
    rows = [(date(2026, 10, d), Decimal(10), 2, 0) for d in (1, 2, 3)]
    rows += [(date(2026, 11, 1) + timedelta(days=d), Decimal(d + 1), 3, 1 if d < 3 else 0)
             for d in range(10)]
    con.executemany("insert into daily_costs values (?, ?, ?, ?)", rows)
    section = kpi.header(con)
    html = "".join(section.blocks)
    assert 'data-kpi="total" data-value="85.000000000000"' in html
    assert 'data-kpi="mtd" data-value="55.000000000000"' in html
    assert "$195.00" in html and "7-day run rate $7.00/day x 20 days left" in html
    assert "+83.3%" in html and "previous $30.00" in html
    assert "8.33%" in html and "3 not in any total" in html  # 3 of 36 requests
    assert section.marts == ["daily_costs"]


def test_present_marts_are_shown(homes, tmp_path):
    written, page = write(homes[1], tmp_path / "present.html")
    assert written.errors == []
    assert written.missing_marts == []
    # + routing curve (saved, PGR), budgets, anomalies, the reconciliation waterfall
    assert written.charts == 12
    for chart in ("routing-curve-saved", "routing-curve-pgr", "budgets", "anomalies",
                  "reconciliation-waterfall"):
        assert f'data-chart="{chart}"' in page
    # routing: 12.50 + 1.25 saved, band 8.80 - 16.50, PGR band 0.40 - 0.85
    assert "routing: summaries-to-haiku" in page
    assert "$13.75" in page and "$8.80" in page and "$16.50" in page
    assert "calibrated: MMLU" in page
    # budgets: 80% used, forecast 130%; the alert and the replay
    assert "forecast_over" in page and "80.0%" in page and "130.0%" in page
    assert "req-50" in page and "key-daily" in page
    # anomalies, reconciliation (only the cell outside tolerance), unpriced models
    assert "s-847" in page and "$62.52" in page
    assert page.count("unexplained</td>") == 1
    assert "gpt-9-preview" in page and "gpt-5, gpt-4o" in page
    # the bill KPI reads reconciliation when it exists: logs 140 of bill 150
    assert "logs $140.00 of bill $150.00" in page and ">93.3%<" in page


def test_a_mart_of_another_shape_breaks_only_its_section(homes, tmp_path):
    home = Home(tmp_path / "odd")
    home.ensure()
    shutil.copy(homes[0].warehouse, home.warehouse)
    con = duckdb.connect(str(home.warehouse))
    con.execute("create table budget_status as select 'b' as budget_id, 1 as amount")
    con.close()
    written, page = write(home, tmp_path / "odd.html")
    assert len(written.errors) == 1 and written.errors[0].startswith("Budgets:")
    assert 'class="error"' in page
    assert written.charts == 7
    assert cli.main(["--home", str(home.root), "report", "--html",
                     str(tmp_path / "cli.html")]) == cli.EXIT_ERROR


def test_cli_writes_the_default_path_and_the_text_report_stays(homes, tmp_path, capsys):
    home = Home(tmp_path / "cli")
    home.ensure()
    shutil.copy(homes[0].warehouse, home.warehouse)
    assert cli.main(["--home", str(home.root), "report", "--html"]) == cli.EXIT_OK
    target = home.root / "report" / "index.html"
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {target} (4.") and "7 charts, 9 sections" in out
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert cli.main(["--home", str(home.root), "report"]) == cli.EXIT_OK
    assert capsys.readouterr().out.startswith("== Total ==")


# --- In a real browser: Debian's headless Chromium over the DevTools protocol ---------------

browser = pytest.mark.skipif(
    chromium_path() is None,
    reason="BROWSER TESTS SKIPPED: chromium not found (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def chrome():
    with Browser(1280, 900) as running:
        yield running


@browser
@pytest.mark.parametrize("which", ["absent", "present"])
def test_page_renders_offline_in_chromium(homes, chrome, tmp_path, which):
    """Every chart drawn, no console error, no request but the file, the KPI total equal to
    daily_costs; on today's warehouse a legend click too."""
    home = homes[0] if which == "absent" else homes[1]
    target = tmp_path / f"{which}.html"
    written, _ = write(home, target)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    (total,) = con.execute("select sum(cost_usd) from daily_costs").fetchone()
    con.close()
    run = chrome.open(target)
    assert run.loaded
    assert run.console_errors == []
    assert run.requests == [target.resolve().as_uri()]  # the file itself, nothing else
    charts, rendered = chrome.evaluate("""[
        document.querySelectorAll('.chart').length,
        [...document.querySelectorAll('.chart')].filter(
            c => c.querySelector('.js-plotly-plot .main-svg .trace')).length]""")
    assert charts == rendered == written.charts
    shown = chrome.evaluate("document.querySelector('[data-kpi=total] .kpi-value').textContent")
    exact = chrome.evaluate("document.querySelector('[data-kpi=total]').dataset.value")
    assert exact == str(total) and shown == f"${float(total):,.2f}"
    missing = chrome.evaluate(
        "[...document.querySelectorAll('[data-missing-mart]')].map(e => e.dataset.missingMart)")
    assert sorted(missing) == written.missing_marts
    if which == "absent":
        assert_legend_click_hides_a_series(chrome)


def assert_legend_click_hides_a_series(chrome: Browser) -> None:
    """Interactivity works from the file alone: clicking a legend entry of the daily chart
    hides that provider / model (plotly's own handler, no server)."""
    chrome.evaluate("document.querySelector('[data-chart=daily-spend]').scrollIntoView()")
    x, y = chrome.evaluate("""(() => {
        const r = document.querySelector('[data-chart=daily-spend] .legendtoggle')
            .getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2]; })()""")
    for kind in ("mousePressed", "mouseReleased"):
        chrome.page("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                 "button": "left", "clickCount": 1})
    chrome.open_settle(0.5)
    hidden = chrome.evaluate("""[...document.querySelector(
        '[data-chart=daily-spend] .js-plotly-plot').data].filter(
        t => t.visible === 'legendonly').length""")
    assert hidden == 1



def test_dagster_asset_writes_the_page_and_runs_nightly(homes, tmp_path):
    home = Home(tmp_path / "dagster")
    home.ensure()
    shutil.copy(homes[0].warehouse, home.warehouse)
    loaded = defs()
    assert loaded.resolve_schedule_def("nightly_report").cron_schedule == "0 3 * * *"
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([report_html], resources={"llmcost": LlmcostResource(home=str(
            home.root))}, instance=instance)
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["charts"].value == 7 and metadata["failed_sections"].value == 0
    page = (home.root / "report" / "index.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count('class="chart"') == 7
