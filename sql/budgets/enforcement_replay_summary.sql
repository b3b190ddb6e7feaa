-- Grain: budget_id x scope_value x period_start, for every budget instance: the period's spend
-- as logged and as replayed with every budget's cap enforced (a request blocked or failed over
-- by any budget changes the spend of every budget it counts toward), and what that saves.
-- An unpriced failover counts at its original cost in replay_spend_usd, and is counted apart.
with members as (
    select * from int_budget_members
),

replayed as (
    select * from enforcement_replay
),

costed as (
    select
        members.*,
        replayed.decision,
        case
            when replayed.decision = 'blocked' then cast(0 as decimal(38, 12))
            when replayed.decision = 'failover'
                then coalesce(replayed.replay_cost_usd, members.cost_usd)
            else members.cost_usd
        end as replay_cost_usd,
        replayed.decision = 'failover' and replayed.replay_cost_usd is null
            as is_unpriced_failover
    from members
    left join replayed
        on replayed.source = members.source
        and replayed.request_id = members.request_id
),

cumulative as (
    select
        *,
        sum(coalesce(replay_cost_usd, 0)) over (
            partition by budget_id, scope_value, period_start
            order by occurred_at, request_id, source
            rows between unbounded preceding and current row
        ) as replay_cumulative_usd
    from costed
),

final as (
    select
        budget_id,
        scope_value,
        period,
        period_start,
        period_end,
        any_value(amount_usd) as amount_usd,
        any_value(action) as action,
        count(*) as requests,
        count(*) filter (where decision = 'blocked') as blocked_requests,
        count(*) filter (where decision = 'failover') as failover_requests,
        count(*) filter (where is_unpriced_failover) as unpriced_failover_requests,
        cast(sum(coalesce(cost_usd, 0)) as decimal(18, 6)) as original_spend_usd,
        cast(sum(coalesce(replay_cost_usd, 0)) as decimal(18, 6)) as replay_spend_usd,
        cast(sum(coalesce(cost_usd, 0)) - sum(coalesce(replay_cost_usd, 0)) as decimal(18, 6))
            as saved_usd,
        min(occurred_at) filter (where replay_cumulative_usd >= amount_usd) as exhausted_at
    from cumulative
    group by budget_id, scope_value, period, period_start, period_end
)

select * from final
order by budget_id, scope_value, period_start
