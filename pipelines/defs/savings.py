"""The savings simulations as Dagster assets: one multi-asset (one replay of history writes all
its tables in one transaction), its job and a nightly schedule after the build."""

import dagster as dg

from pipelines.savings import simulate

from .resources import LlmcostResource

_DESCRIPTIONS = {
    "cache_opportunities": "Grain: usage_date x team x feature x model x strategy (exact, "
    "semantic at the default threshold, prompt_cache): requests, hits, cost and saved dollars.",
    "semantic_cache_sweep": "Grain: threshold x scope: semantic-cache hit ratio, dollars and "
    "latency saved, estimated precision from the embedder's QQP calibration.",
    "prompt_cache_opportunities": "Grain: stable prompt prefix x model: what provider prompt "
    "caching would save against the cache reads that happened.",
    "prompt_waste": "Grain: usage_date x team x feature x waste kind: repeated system prompts, "
    "few-shot blocks, growing histories, oversized context; cost and saving of a fix.",
    "routing_opportunities": "Grain: usage_date x team x feature x policy x from_model x "
    "to_model: what routing to a cheaper model would have saved (low, point, high) and the "
    "quality gap kept (PGR band), with its basis.",
    "routing_curve": "Grain: policy x strong_share (0 to 1 by 0.1): saved dollars and PGR for "
    "random, scorer-calibrated and oracle routing.",
    "savings_runs": "Grain: one row: the last simulation's settings and coverage.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(name, deps=["requests", "prices"], description=description,
                     group_name="savings", kinds={"duckdb"})
        for name, description in _DESCRIPTIONS.items()
    ],
)
def savings_simulations(context: dg.AssetExecutionContext, llmcost: LlmcostResource):
    result = simulate.run(llmcost.data_home(), progress=context.log.info)
    for name in _DESCRIPTIONS:
        yield dg.MaterializeResult(
            asset_key=name,
            metadata={
                "dagster/row_count": result.row_counts[name],
                "simulated_requests": result.simulated_requests,
                "requests": result.requests,
                "default_threshold": result.default_threshold,
                "seconds": round(sum(result.seconds.values()), 2),
            },
        )


savings_job = dg.define_asset_job(
    "savings_job",
    selection=dg.AssetSelection.groups("savings"),
    description="Replay the request history through simulated caches and rebuild the savings "
    "marts.",
)

nightly_savings = dg.ScheduleDefinition(
    name="nightly_savings",
    job=savings_job,
    cron_schedule="30 2 * * *",
    execution_timezone="UTC",
    description="Re-run the savings simulations every night at 02:30 UTC, after the build.",
)
