"""The building blocks of the HTML report: read a mart, and turn rows into a chart, a table or
a note. Every block names the mart and the query it came from, so an analyst can trace each
number on the page back to the warehouse.

Charts are plotly figures rendered as `<div>`s without the library (plotly.js is inlined once,
by `page.py`); tables are plain HTML with the values formatted from the mart's own numbers.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import duckdb

# Plotly's modebar stays (zoom, pan, download as PNG: all offline); no logo link.
CHART_CONFIG = {"displaylogo": False, "responsive": True}
PALETTE = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477",
           "#66aa00", "#b82e2e", "#316395"]


@dataclass
class Section:
    """One view of the page: a title, the marts it reads, and its HTML blocks."""

    key: str
    title: str
    intro: str = ""
    blocks: list[str] = field(default_factory=list)
    marts: list[str] = field(default_factory=list)
    queries: list[tuple[str, str]] = field(default_factory=list)  # (mart, sql)
    charts: int = 0
    absent: list[str] = field(default_factory=list)  # marts not in this warehouse

    def query(self, con: duckdb.DuckDBPyConnection, mart: str, sql: str,
              params: Sequence | None = None) -> tuple[list[str], list[tuple]]:
        """Run `sql` (which reads `mart`), remember both for the page's source notes."""
        if mart not in self.marts:
            self.marts.append(mart)
        self.queries.append((mart, textwrap.dedent(sql).strip()))
        cursor = con.execute(sql, list(params or []))
        return [d[0] for d in cursor.description], cursor.fetchall()

    def chart(self, figure, name: str, height: int = 340) -> None:
        figure.update_layout(height=height, margin={"l": 60, "r": 20, "t": 40, "b": 50},
                             template="plotly_white", colorway=PALETTE,
                             font={"family": "system-ui, sans-serif", "size": 12})
        div = figure.to_html(include_plotlyjs=False, full_html=False, config=CHART_CONFIG,
                             div_id=f"chart-{self.key}-{name}", include_mathjax=False)
        self.blocks.append(f'<div class="chart" data-chart="{html.escape(name)}">{div}</div>')
        self.charts += 1

    def table(self, columns: Sequence[str], rows: Sequence[Sequence], caption: str = "") -> None:
        self.blocks.append(html_table(columns, rows, caption))

    def note(self, text: str, kind: str = "note") -> None:
        self.blocks.append(f'<p class="{kind}">{html.escape(text)}</p>')

    def missing(self, mart: str, what: str) -> None:
        """A mart another part of llmcost builds is not in this warehouse (yet)."""
        self.absent.append(mart)
        self.blocks.append(
            f'<p class="missing" data-missing-mart="{html.escape(mart)}">Mart '
            f'<code>{html.escape(mart)}</code> is not in this warehouse: {html.escape(what)}</p>')

    def raw(self, fragment: str) -> None:
        self.blocks.append(fragment)


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select table_name from information_schema.tables").fetchall()
    return {name for (name,) in rows}


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_name = ?", [table]
    ).fetchall()
    return {name for (name,) in rows}


def number(value) -> float:
    """For charts only: tables show the mart's exact values."""
    return float(value) if value is not None else 0.0


def usd(value, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    amount = float(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{digits}f}"


def pct(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * float(value):.{digits}f}%"


def cell(column: str, value) -> tuple[str, bool]:
    """(text, is_numeric) for a table cell; the column's unit suffix says how to show it."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, Decimal | float) and "_usd" in column:
        digits = 4 if abs(float(value)) < 1 and value != 0 else 2
        return usd(value, digits), True
    if isinstance(value, Decimal | float) and (
            column.endswith(("_share", "_pct", "_rate")) or column.startswith("pct_")
            or column in ("share", "threshold")):
        return pct(value), True
    if isinstance(value, Decimal | float):
        return f"{float(value):,.2f}", True
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M"), False
    if isinstance(value, date):
        return value.isoformat(), False
    if isinstance(value, list):
        return ", ".join(str(v) for v in value), False
    return str(value), False


def html_table(columns: Sequence[str], rows: Sequence[Sequence], caption: str = "") -> str:
    if not rows:
        return '<p class="note">(no rows)</p>'
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for column, value in zip(columns, row, strict=True):
            text, numeric = cell(column, value)
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f'<table class="data">{cap}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')
