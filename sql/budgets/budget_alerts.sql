-- Grain: budget_id x scope_value x period_start x threshold x basis. `actual`: the first request
-- (in occurred_at, request_id order) at which the period's cumulative cost reaches
-- threshold x amount. `forecast`: the first request, once $forecast_min_elapsed of the period
-- has passed, at which the run-rate forecast (cumulative / elapsed share of the period) reaches
-- it. alert_id is a hash of the grain, so an alert keeps its id across rebuilds and is
-- delivered once.
with members as (
    select * from int_budget_members
),

budgets as (
    select * from budget_rows
),

thresholds as (
    select budget_id, 'actual' as basis, unnest(thresholds) as threshold from budgets
    union all
    select budget_id, 'forecast' as basis, unnest(forecast_thresholds) as threshold from budgets
),

scored as (
    select
        *,
        cast(cumulative_usd as double) / greatest(
            epoch(occurred_at - period_start) / epoch(period_end - period_start), 1e-9
        ) as forecast_usd,
        epoch(occurred_at - period_start) / epoch(period_end - period_start) as elapsed_share
    from members
),

reached as (
    select
        scored.budget_id,
        scored.scope_value,
        scored.period_start,
        thresholds.threshold,
        thresholds.basis,
        min(scored.period_rank) as period_rank
    from scored
    inner join thresholds
        on thresholds.budget_id = scored.budget_id
    where (thresholds.basis = 'actual' and scored.cumulative_usd
            >= cast(thresholds.threshold as decimal(18, 6)) * scored.amount_usd)
        or (thresholds.basis = 'forecast' and scored.elapsed_share >= $forecast_min_elapsed
            and scored.forecast_usd >= thresholds.threshold * cast(scored.amount_usd as double))
    group by all
),

final as (
    select
        md5(concat_ws('|', reached.budget_id, reached.scope_value,
                      strftime(reached.period_start, '%Y-%m-%dT%H:%M:%SZ'),
                      cast(reached.threshold as varchar), reached.basis)) as alert_id,
        reached.budget_id,
        reached.scope_value,
        scored.period,
        reached.period_start,
        scored.period_end,
        scored.amount_usd,
        reached.threshold,
        reached.basis,
        scored.occurred_at as crossed_at,
        scored.request_id,
        scored.source,
        cast(scored.cumulative_usd as decimal(18, 6)) as spend_at_crossing_usd,
        case when reached.basis = 'forecast'
            then cast(scored.forecast_usd as decimal(18, 6)) end as forecast_at_crossing_usd,
        scored.action
    from reached
    inner join scored
        on scored.budget_id = reached.budget_id
        and scored.scope_value = reached.scope_value
        and scored.period_start = reached.period_start
        and scored.period_rank = reached.period_rank
)

select * from final
order by crossed_at, budget_id, scope_value, basis, threshold
