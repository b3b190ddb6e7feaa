"""FinOps FOCUS 1.2 export of the warehouse's spend (``llmcost export focus``).

FOCUS is the FinOps Foundation's open billing format, which FinOps tools and the clouds' own
exports speak. The rows come from ``sql/exports/focus.sql`` (one row per day x provider x
model x sub-account x token type, tagged with team / feature / environment); they add up to
``daily_costs`` for the same window, to the cent, and the export stops if they do not.
Parquet keeps the decimal and float types the validator's type checks want; CSV is for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipelines.paths import SQL_DIR, Home
from pipelines.warehouse import open_read_only

FOCUS_SQL = SQL_DIR / "exports" / "focus.sql"
CENT = Decimal("0.01")


class FocusExportError(ValueError):
    pass


@dataclass(frozen=True)
class FocusExport:
    path: Path
    rows: int
    first: date | None
    last: date | None
    billed_cost: Decimal
    daily_costs: Decimal


def focus_table(home: Home, first: date | None = None,
                last: date | None = None) -> tuple[pa.Table, date | None, date | None, Decimal]:
    """The FOCUS rows of [first, last] (default: every day in daily_costs) and daily_costs'
    total over the same days."""
    con = open_read_only(home)
    try:
        low, high = con.execute(
            "select min(usage_date), max(usage_date) from daily_costs").fetchall()[0]
        first = first or low
        last = last or high
        if first is None:
            return _empty(con), None, None, Decimal(0)
        if last < first:
            raise FocusExportError(f"--to {last} is before --from {first}")
        params = {"first_date": first, "last_date": last}
        table = con.sql(FOCUS_SQL.read_text(), params=params).to_arrow_table()
        total = con.execute(
            "select coalesce(sum(cost_usd), 0) from daily_costs "
            "where usage_date between $first_date and $last_date", params).fetchall()[0][0]
    finally:
        con.close()
    return table, first, last, Decimal(total)


def _empty(con) -> pa.Table:
    params = {"first_date": date(1, 1, 1), "last_date": date(1, 1, 1)}
    return con.sql(FOCUS_SQL.read_text(), params=params).to_arrow_table()


def export(home: Home, out: Path, *, first: date | None = None,
           last: date | None = None) -> FocusExport:
    """Write the FOCUS rows to ``out`` (.parquet or .csv), after checking that BilledCost adds
    up to daily_costs for the window to the cent."""
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise FocusExportError(f"{out}: the FOCUS export is written as .parquet or .csv")
    table, first, last, daily_total = focus_table(home, first, last)
    billed = Decimal(pc.sum(table.column("BilledCost")).as_py() or 0)
    if billed.quantize(CENT) != daily_total.quantize(CENT):
        raise FocusExportError(f"FOCUS BilledCost {billed} does not add up to daily_costs "
                               f"{daily_total} for {first} .. {last}: not written")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    if suffix == ".parquet":
        pq.write_table(table, partial)
    else:
        pa_csv.write_csv(_csv_ready(table), partial)
    partial.replace(out)
    return FocusExport(out, table.num_rows, first, last, billed, daily_total)


def _csv_ready(table: pa.Table) -> pa.Table:
    """FOCUS dates are ISO 8601 UTC with a Z (2026-05-04T00:00:00Z); Arrow's CSV writer would
    write "2026-05-04 00:00:00.000000Z"."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(field.type):
            column = pc.strftime(column.cast(pa.timestamp("s", "UTC")),
                                 format="%Y-%m-%dT%H:%M:%SZ")
        columns.append(column)
    return pa.table(columns, names=table.schema.names)


def default_path(home: Home) -> Path:
    """Where the Dagster asset writes the whole history (replaced atomically each run)."""
    return home.root / "exports" / "focus" / "focus.parquet"
