-- Grain: budget_id x scope_value x period_start, for every budget instance: the period's spend
-- as logged and as replayed with every budget's cap enforced (a request blocked or failed over
-- by any budget changes the spend of every budget it counts toward), and what that saves.
-- An unpriced failover counts at its original cost in replay_spend_usd, and is counted apart.
-- exhausted_at: when the replayed spend of a budget that enforces (block / failover) reached
-- its amount, from then on its requests were blocked or failed over.
with members as (
    select * from int_budget_members
),

-- From the replay's decisions and the failover prices directly (integer joins), not the mart.
replayed as (
    select
        decisions.request_index,
        decisions.decision,
        case when decisions.decision = 'blocked' then cast(0 as decimal(38, 12))
            else failover.failover_cost_usd end as replay_cost_usd
    from replay_decisions as decisions
    left join budget_failover_costs as failover
        on failover.request_index = decisions.request_index
        and failover.failover_model = decisions.failover_model
),

exhausted as (
    select * from replay_exhausted
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
        on replayed.request_index = members.request_index
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
        count(*) as requests,
        count(*) filter (where decision = 'blocked') as blocked_requests,
        count(*) filter (where decision = 'failover') as failover_requests,
        count(*) filter (where is_unpriced_failover) as unpriced_failover_requests,
        cast(sum(coalesce(cost_usd, 0)) as decimal(18, 6)) as original_spend_usd,
        cast(sum(coalesce(replay_cost_usd, 0)) as decimal(18, 6)) as replay_spend_usd,
        cast(sum(coalesce(cost_usd, 0)) - sum(coalesce(replay_cost_usd, 0)) as decimal(18, 6))
            as saved_usd
    from costed
    group by budget_id, scope_value, period, period_start, period_end
),

final as (
    select
        periods.*,
        exhausted.exhausted_at
    from periods
    left join exhausted
        on exhausted.budget_id = periods.budget_id
        and exhausted.scope_value = periods.scope_value
        and exhausted.period_start = periods.period_start
)

select * from final
order by budget_id, scope_value, period_start
