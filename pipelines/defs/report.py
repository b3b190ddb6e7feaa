"""The HTML morning report as a Dagster asset, rewritten every night after the savings run."""

import dagster as dg

from pipelines import webreport
from pipelines.warehouse import open_read_only

from .resources import LlmcostResource

# The marts the page reads that this code location builds; the page also reads, when present,
# marts other parts of llmcost add (budgets, anomalies, unpriced models).
REPORT_DEPS = ["daily_costs", "session_costs", "cost_coverage", "quarantine", "requests",
               "reconciliation", "cache_opportunities", "semantic_cache_sweep", "prompt_waste",
               "routing_opportunities", "routing_curve", "savings_runs"]


@dg.asset(deps=REPORT_DEPS, group_name="report", kinds={"html"})
def report_html(context: dg.AssetExecutionContext, llmcost: LlmcostResource):
    """Grain: one file, $LLMCOST_HOME/report/index.html: the morning report as a web page."""
    home = llmcost.data_home()
    con = open_read_only(home)
    try:
        written = webreport.write(con, webreport.default_path(home.root),
                                  warehouse=str(home.warehouse))
    finally:
        con.close()
    for error in written.errors:
        context.log.warning(f"report section failed: {error}")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(written.path)),
        "bytes": written.bytes,
        "charts": written.charts,
        "missing_marts": ", ".join(written.missing_marts) or "none",
        "failed_sections": len(written.errors),
    })


report_job = dg.define_asset_job(
    "report_job", selection=dg.AssetSelection.assets("report_html"),
    description="Rewrite the HTML report from the marts.")

nightly_report = dg.ScheduleDefinition(
    name="nightly_report",
    job=report_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    description="Rewrite the HTML report every night at 03:00 UTC, after the savings run.",
)
