"""The FOCUS 1.2 export as an asset: the warehouse's spend in the FinOps Foundation's format,
rewritten whole after each build to $LLMCOST_HOME/exports/focus/focus.parquet."""

import dagster as dg

from pipelines import focus

from .resources import LlmcostResource


@dg.asset(
    deps=["daily_costs", "requests", "usage_buckets", "prices"],
    group_name="exports",
    kinds={"parquet"},
)
def focus_export(context: dg.AssetExecutionContext, llmcost: LlmcostResource):
    """FOCUS 1.2 cost and usage rows: one row per day x provider x model x sub-account x token
    type; BilledCost adds up to daily_costs."""
    home = llmcost.data_home()
    result = focus.export(home, focus.default_path(home))
    context.log.info(f"wrote {result.rows} FOCUS rows to {result.path}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": result.rows,
        "path": dg.MetadataValue.path(str(result.path)),
        "billed_cost_usd": float(result.billed_cost),
        "first_usage_date": str(result.first),
        "last_usage_date": str(result.last),
    })
