"""The morning summary: where the money went, from the marts (plain SQL, printed as tables)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import duckdb

SECTIONS: list[tuple[str, str]] = [
    (
        "Total",
        """
        select min(usage_date) as first_day, max(usage_date) as last_day,
               sum(requests) as requests, sum(unpriced_requests) as unpriced_requests,
               round(sum(cost_usd), 2) as cost_usd
        from daily_costs
        """,
    ),
    (
        "Computed vs what the logs claimed (requests that report a cost)",
        """
        select source, count(*) as requests, round(sum(reported_cost_usd), 2) as reported_usd,
               round(sum(cost_usd), 2) as computed_usd,
               round(sum(cost_usd) - sum(reported_cost_usd), 2) as difference_usd
        from requests where reported_cost_usd is not null and is_priced
        group by source order by source
        """,
    ),
    (
        "Top teams",
        """
        select team, sum(requests) as requests, round(sum(cost_usd), 2) as cost_usd,
               round(100 * sum(cost_usd) / nullif((select sum(cost_usd) from daily_costs), 0), 1)
                   as share_pct
        from daily_costs group by team order by sum(cost_usd) desc limit 10
        """,
    ),
    (
        "Top features",
        """
        select team, feature, sum(requests) as requests, round(sum(cost_usd), 2) as cost_usd
        from daily_costs group by team, feature order by sum(cost_usd) desc limit 10
        """,
    ),
    (
        "Top models",
        """
        select provider, model, sum(requests) as requests,
               sum(input_tokens) as input_tokens, sum(cache_read_input_tokens) as cached_tokens,
               sum(output_tokens) as output_tokens, round(sum(cost_usd), 2) as cost_usd
        from daily_costs group by provider, model order by sum(cost_usd) desc limit 10
        """,
    ),
    (
        "Sessions by feature (average per session)",
        """
        select feature, count(*) as sessions, round(avg(calls), 1) as avg_calls,
               round(avg(cost_usd), 4) as avg_cost_usd,
               round(avg(duration_seconds), 1) as avg_seconds
        from session_costs group by feature order by sum(cost_usd) desc limit 10
        """,
    ),
    (
        "Costliest sessions",
        """
        select session_id, team, feature, calls, round(duration_seconds, 1) as seconds,
               array_to_string(models, ', ') as models, round(cost_usd, 4) as cost_usd
        from session_costs order by cost_usd desc limit 10
        """,
    ),
    (
        "Unpriced requests (not in any total above)",
        """
        select unpriced_reason, count(*) as requests, sum(input_tokens) as input_tokens,
               sum(output_tokens) as output_tokens
        from requests where not is_priced group by unpriced_reason order by requests desc
        """,
    ),
    (
        "Unpriced models (add a row to $LLMCOST_HOME/pricing/overrides.csv: "
        "unpriced_models.override_row_template)",
        """
        select provider, model_raw, resolved_model, requests, input_tokens, output_tokens,
               cast(last_seen_at as date) as last_seen,
               array_to_string(closest_known_ids, ', ') as closest_known_ids
        from unpriced_models order by requests desc, provider, model_raw limit 20
        """,
    ),
    (
        "Quarantined records",
        """
        select source, reason_code, count(*) as records
        from quarantine group by source, reason_code order by source, records desc
        """,
    ),
]

# Sections over the marts of the budgets step (pipelines/budgets): shown once it has run.
BUDGET_SECTIONS: list[tuple[str, str, str]] = [
    (
        "Budgets (latest period of each)",
        "budget_status",
        """
        select budget_id, scope_value, period, strftime(period_start, '%Y-%m-%d') as period_start,
               amount_usd, round(spend_usd, 2) as spend_usd, round(100 * pct_used, 1) as pct_used,
               round(forecast_usd, 2) as forecast_usd, forecast_method, status
        from budget_status
        qualify row_number() over (partition by budget_id, scope_value
                                   order by period_start desc) = 1
        order by pct_used desc, budget_id, scope_value limit 10
        """,
    ),
    (
        "What-if enforcement (all periods; budgets.toml caps enforced)",
        "enforcement_replay_summary",
        """
        select budget_id, any_value(action) as action, sum(blocked_requests) as blocked,
               sum(failover_requests) as failed_over,
               round(sum(original_spend_usd), 2) as original_usd,
               round(sum(replay_spend_usd), 2) as replay_usd, round(sum(saved_usd), 2) as saved_usd
        from enforcement_replay_summary group by budget_id order by saved_usd desc, budget_id
        """,
    ),
    (
        "Spend anomalies (latest 10)",
        "spend_anomalies",
        """
        select kind, dimension_value, strftime(window_start, '%Y-%m-%d %H:%M') as since,
               round(actual_usd, 2) as actual_usd, round(expected_usd, 2) as expected_usd,
               round(impact_usd, 2) as impact_usd,
               root_causes[1].dimension || '=' || root_causes[1].value as top_cause
        from spend_anomalies order by detected_at desc, kind limit 10
        """,
    ),
]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def format_table(columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values):
        return "  ".join(
            v.rjust(w) if _is_number(v) else v.ljust(w) for v, w in zip(values, widths, strict=True)
        ).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _is_number(text: str) -> bool:
    return bool(text) and text.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def render(columns: Sequence[str], rows: Sequence[Sequence], fmt: str = "table") -> str:
    if fmt == "table":
        return format_table(columns, rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    if fmt == "json":
        return json.dumps([dict(zip(columns, row, strict=True)) for row in rows],
                          default=_json_default, indent=2)
    raise ValueError(f"unknown format {fmt!r} (table, csv, json)")


def render_json(con: duckdb.DuckDBPyConnection, table) -> str:
    """A JSON array of row objects, written by DuckDB so DECIMAL values keep every digit
    (Python's json would go through float)."""
    con.register("llmcost_result_rows", table)
    try:
        rows = con.execute(
            "select to_json(llmcost_result_rows) from llmcost_result_rows").fetchall()
    finally:
        con.unregister("llmcost_result_rows")
    return "[\n" + ",\n".join(row[0] for row in rows) + ("\n]" if rows else "]")


def summary(con: duckdb.DuckDBPyConnection) -> str:
    parts = []
    for title, query in SECTIONS:
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        parts.append(f"== {title} ==")
        parts.append(format_table(columns, rows) if rows else "(none)")
        parts.append("")
    for title, table, query in BUDGET_SECTIONS:
        if not con.execute("select count(*) from information_schema.tables "
                           "where table_name = ?", [table]).fetchall()[0][0]:
            continue
        cursor = con.execute(query)
        rows = cursor.fetchall()
        parts.append(f"== {title} ==")
        parts.append(format_table([d[0] for d in cursor.description], rows) if rows else "(none)")
        parts.append("")
    return "\n".join(parts)
