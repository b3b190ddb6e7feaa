-- Grain: budget_id x scope_value x period (periods with at least one request up to $as_of).
-- Spend counts priced requests up to $as_of (summed in nano-dollars, like the alerts). A closed period's forecast is its spend
-- (method `actual`); the open one's is the run rate (spend / elapsed share of the period).
with members as (
    select * from int_budget_members where occurred_at <= $as_of
),

periods as (
    select
        budget_id,
        scope_value,
        period,
        period_start,
        period_end,
        any_value(amount_usd) as amount_usd,
        any_value(action) as action,
        cast(sum(cost_nano) as decimal(38, 0)) * 0.000000001 as spend_usd,
        count(*) as requests,
        count(*) filter (where not is_priced) as unpriced_requests,
        max(occurred_at) as last_request_at
    from members
    group by all
),

forecast as (
    select
        *,
        case when period_end <= $as_of then 'actual' else 'run_rate' end as forecast_method,
        case
            when period_end <= $as_of then cast(spend_usd as double)
            else cast(spend_usd as double) / greatest(
                epoch($as_of - period_start) / epoch(period_end - period_start), 1e-9)
        end as forecast_value
    from periods
),

final as (
    select
        budget_id,
        scope_value,
        period,
        period_start,
        period_end,
        amount_usd,
        cast(spend_usd as decimal(18, 6)) as spend_usd,
        round(cast(spend_usd as double) / cast(amount_usd as double), 6) as pct_used,
        cast(forecast_value as decimal(18, 6)) as forecast_usd,
        forecast_method,
        round(forecast_value / cast(amount_usd as double), 6) as forecast_pct,
        case
            when spend_usd >= amount_usd then 'exceeded'
            when forecast_value >= cast(amount_usd as double) then 'forecast_over'
            when spend_usd >= 0.8 * amount_usd then 'warning'
            else 'ok'
        end as status,
        action,
        requests,
        unpriced_requests,
        last_request_at,
        $as_of as as_of
    from forecast
)

select * from final
order by budget_id, scope_value, period_start
