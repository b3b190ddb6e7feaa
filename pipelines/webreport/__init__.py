"""``llmcost report --html``: the morning report as one self-contained web page.

A team lead opens one file and sees where the money went, what could be saved and what needs
attention; an analyst sees, under each section, the marts and the SQL behind every number.
Sections whose marts are not in the warehouse (budgets, anomalies, routing, reconciliation,
unpriced models: built by other parts of llmcost) say so on the page instead of failing.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.webreport import attention, kpi, page, savings, spend
from pipelines.webreport.blocks import Section

BUILDERS: tuple[tuple[str, str, Callable[[duckdb.DuckDBPyConnection], Section]], ...] = (
    ("kpi", "At a glance", kpi.header),
    ("daily", "Daily spend", spend.daily),
    ("breakdown", "Cost by dimension", spend.breakdowns),
    ("sessions", "Sessions", spend.sessions),
    ("savings", "Savings by lever", savings.savings),
    ("budgets", "Budgets", attention.budgets),
    ("anomalies", "Anomalies", attention.anomalies),
    ("bill", "Bill vs logs", attention.bill_vs_logs),
    ("health", "Data health", attention.health),
)


@dataclass
class HtmlReport:
    path: Path
    bytes: int
    charts: int
    sections: int
    missing_marts: list[str]
    errors: list[str]


def default_path(home_root: Path) -> Path:
    return home_root / "report" / "index.html"


def build_sections(con: duckdb.DuckDBPyConnection) -> tuple[list[Section], list[str]]:
    """Every section; one that fails to read its mart (a mart of another shape than this page
    expects) shows the error in its place and the rest of the page still renders."""
    sections, errors = [], []
    for key, title, builder in BUILDERS:
        try:
            sections.append(builder(con))
        except duckdb.Error as exc:
            message = f"{title}: {str(exc).splitlines()[0]}"
            errors.append(message)
            failed = Section(key, title)
            failed.raw(f'<p class="error">This section could not be built: '
                       f"{html.escape(message)}</p>")
            sections.append(failed)
    return sections, errors


def write(con: duckdb.DuckDBPyConnection, path: Path, warehouse: str = "warehouse.duckdb"
          ) -> HtmlReport:
    """Render the page and replace `path` atomically (a reader never sees half a file)."""
    sections, errors = build_sections(con)
    text = page.render(sections, warehouse, datetime.now(UTC))
    path.parent.mkdir(parents=True, exist_ok=True)
    # A named temporary beside the target (same filesystem, so the rename is atomic), opened
    # normally so the file gets the user's umask (mkstemp would make it private).
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    missing = sorted({mart for section in sections for mart in section.absent})
    return HtmlReport(path=path, bytes=len(text.encode()), charts=sum(s.charts for s in sections),
                      sections=len(sections), missing_marts=missing, errors=errors)
