-- Grain: budget_id x scope_value x period_start x threshold x basis. `actual`: the first request
-- (in occurred_at, request_id order) at which the period's cumulative cost reaches
-- threshold x amount. `forecast`: the first request, once $forecast_min_elapsed of the period
-- has passed, at which the run-rate forecast (cumulative / elapsed share of the period) reaches
-- it. alert_id is a hash of the grain, so an alert keeps its id across rebuilds and is
-- delivered once.
with members as (
    select * from int_budget_members
),

-- Each threshold as an amount in nano-dollars, once per budget, so the comparisons below are
-- integer ones.
budgets as (
    select
        budget_order,
        list_transform(thresholds, lambda threshold: {
            'threshold': threshold,
            'nano': cast(round(cast(cast(threshold as decimal(18, 6))
                               * cast(amount_usd as decimal(18, 6)) as decimal(38, 12))
                               * 1000000000) as bigint)
        }) as actual_levels,
        forecast_thresholds
    from budget_rows
),

scored as (
    select
        members.*,
        members.cumulative_nano - members.cost_nano as before_nano,
        epoch(members.occurred_at - members.period_start)
            / epoch(members.period_end - members.period_start) as elapsed_share,
        budgets.actual_levels,
        budgets.forecast_thresholds
    from members
    inner join budgets
        on budgets.budget_order = members.budget_order
),

-- The thresholds each request crosses: cumulative spend only grows, so an actual threshold is
-- crossed by exactly one request, the one that takes the spend from below it to at or above.
crossed as (
    select
        *,
        list_transform(list_filter(actual_levels, lambda level:
            before_nano < level.nano and level.nano <= cumulative_nano),
            lambda level: level.threshold) as actual_crossed,
        case when elapsed_share >= $forecast_min_elapsed then list_filter(
            forecast_thresholds, lambda threshold:
                cumulative_nano / elapsed_share
                    >= threshold * cast(amount_usd as double) * 1000000000)
        else [] end as forecast_reached
    from scored
),

crossings as (
    select *, 'actual' as basis, unnest(actual_crossed) as threshold
    from crossed
    where len(actual_crossed) > 0
    union all
    select *, 'forecast' as basis, unnest(forecast_reached) as threshold
    from crossed
    where len(forecast_reached) > 0
),

-- The run-rate forecast can dip back under a threshold: the first request that reached it.
first_crossings as (
    select
        budget_id,
        scope_value,
        period,
        period_start,
        period_end,
        amount_usd,
        threshold,
        basis,
        arg_min({'crossed_at': occurred_at, 'request_id': request_id, 'source': source,
                 'spend_usd': cumulative_usd, 'elapsed_share': elapsed_share,
                 'action': action}, period_rank) as first_request
    from crossings
    group by all
),

final as (
    select
        md5(concat_ws('|', budget_id, scope_value,
                      strftime(period_start, '%Y-%m-%dT%H:%M:%SZ'),
                      cast(threshold as varchar), basis)) as alert_id,
        budget_id,
        scope_value,
        period,
        period_start,
        period_end,
        amount_usd,
        threshold,
        basis,
        first_request.crossed_at as crossed_at,
        first_request.request_id as request_id,
        first_request.source as source,
        cast(first_request.spend_usd as decimal(18, 6)) as spend_at_crossing_usd,
        case when basis = 'forecast' then cast(
            cast(first_request.spend_usd as double) / first_request.elapsed_share
            as decimal(18, 6)) end as forecast_at_crossing_usd,
        first_request.action as action
    from first_crossings
)

select * from final
order by crossed_at, budget_id, scope_value, basis, threshold
