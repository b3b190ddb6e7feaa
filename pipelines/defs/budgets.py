"""Budgets and spend anomalies as Dagster assets: one multi-asset (one step writes the five
marts in one transaction), its job, a nightly schedule after the build, and the sensor that
delivers each new alert once (JSONL outbox always, webhook when configured)."""

import dagster as dg

from pipelines.budgets import alerts, build
from pipelines.warehouse import open_read_only

from .resources import LlmcostResource

_DESCRIPTIONS = {
    "budget_status": "Grain: budget x scope value x period: amount, spend, % used, forecast "
    "(method), status.",
    "budget_alerts": "Grain: budget x scope value x period x threshold x basis (actual, "
    "forecast): the request at which the period's cumulative cost crossed it; stable alert_id.",
    "enforcement_replay": "Grain: request the what-if enforcement changes: blocked or failed "
    "over, original and replayed cost.",
    "enforcement_replay_summary": "Grain: budget x scope value x period: spend as logged and as "
    "replayed with the caps enforced, requests blocked / failed over, dollars saved.",
    "spend_anomalies": "Grain: anomaly (spend spike, key spike, retry loop, new model, new key): "
    "actual, expected, impact, score, root causes, detection time.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(name, deps=["requests"], description=description, group_name="budgets",
                     kinds={"duckdb"})
        for name, description in _DESCRIPTIONS.items()
    ],
)
def budget_marts(context: dg.AssetExecutionContext, llmcost: LlmcostResource):
    result = build.run(llmcost.data_home(), progress=context.log.info)
    for name in _DESCRIPTIONS:
        yield dg.MaterializeResult(
            asset_key=name,
            metadata={
                "dagster/row_count": result.row_counts[name],
                "budgets": result.budgets,
                "replay_changed_requests": result.replayed_requests,
                "seconds": round(sum(result.seconds.values()), 2),
            },
        )


budgets_job = dg.define_asset_job(
    "budgets_job",
    selection=dg.AssetSelection.groups("budgets"),
    description="Rebuild budget status, threshold alerts, the enforcement replay and the spend "
    "anomalies from the requests mart and budgets.toml.",
)

nightly_budgets = dg.ScheduleDefinition(
    name="nightly_budgets",
    job=budgets_job,
    cron_schedule="45 2 * * *",
    execution_timezone="UTC",
    description="Rebuild the budget and anomaly marts every night at 02:45 UTC, after the "
    "build.",
)

# For the hourly cadence (off by default, like every schedule): with landing_sensor and
# lake_dates_sensor building new files within minutes, alerts then lag spend by about an hour.
hourly_budgets = dg.ScheduleDefinition(
    name="hourly_budgets",
    job=budgets_job,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    description="Rebuild the budget and anomaly marts every hour at :15 (the hourly cadence "
    "of `llmcost anomalies eval`).",
)


@dg.sensor(
    minimum_interval_seconds=60,
    description="Every minute, deliver each budget alert and spend anomaly not delivered yet "
    "(by id) to $LLMCOST_HOME/alerts/outbox.jsonl and to LLMCOST_ALERT_WEBHOOK when set.",
)
def alert_delivery_sensor(context: dg.SensorEvaluationContext, llmcost: LlmcostResource):
    home = llmcost.data_home()
    if not home.warehouse.exists():
        return dg.SkipReason(f"no warehouse at {home.warehouse}")
    con = open_read_only(home)
    try:
        current = alerts.current_alerts(con)
    finally:
        con.close()
    delivery = alerts.deliver(home, current, webhook_url=llmcost.alert_webhook or None)
    # The outbox is the record; the cursor shows the running total in the UI.
    total = int(context.cursor or 0) + delivery.sent
    message = (f"delivered {delivery.sent} new alert(s) ({delivery.webhook_posts} webhook "
               f"post(s)); {delivery.already} already delivered")
    context.log.info(message)
    return dg.SensorResult(skip_reason=dg.SkipReason(message), cursor=str(total))
