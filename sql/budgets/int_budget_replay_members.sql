-- The memberships the enforcement replay has to walk: only budget instances with an enforcing
-- action (block / failover) whose spend could reach their amount at all (each request at the
-- larger of its cost and its failover cost); the others can never change a decision. Costs in
-- nano-dollars for exact comparisons. Grain: request x candidate instance, in replay order.
with members as (
    select * from int_budget_members
),

failover as (
    select * from budget_failover_costs
),

costed as (
    select
        members.*,
        failover.failover_cost_usd
    from members
    left join failover
        on members.action = 'failover'
        and failover.request_index = members.request_index
        and failover.failover_model = members.failover_model
),

upper_bound as (
    select
        request_index,
        greatest(coalesce(max(cost_usd), 0), coalesce(max(failover_cost_usd), 0))
            as upper_cost_usd
    from costed
    group by request_index
),

instances as (
    select
        costed.budget_id,
        costed.scope_value,
        costed.period_start,
        any_value(costed.amount_usd) as amount_usd,
        bool_or(costed.action in ('block', 'failover')) as is_enforcing,
        sum(upper_bound.upper_cost_usd) as upper_spend_usd
    from costed
    inner join upper_bound
        on upper_bound.request_index = costed.request_index
    group by all
),

candidates as (
    select
        *,
        row_number() over (order by budget_id, scope_value, period_start) - 1 as instance_index
    from instances
    where is_enforcing and upper_spend_usd >= amount_usd
),

final as (
    select
        costed.request_index,
        costed.source,
        costed.request_id,
        costed.budget_id,
        costed.scope_value,
        costed.period_start,
        costed.occurred_at,
        costed.failover_model,
        candidates.instance_index,
        case costed.action when 'block' then 2 when 'failover' then 1 else 0 end
            as action_code,
        cast(round(coalesce(costed.cost_usd, 0) * 1000000000) as bigint) as cost_nano,
        coalesce(cast(round(costed.failover_cost_usd * 1000000000) as bigint), -1)
            as failover_cost_nano,
        cast(round(candidates.amount_usd * 1000000000) as bigint) as amount_nano,
        costed.budget_order
    from costed
    inner join candidates
        on candidates.budget_id = costed.budget_id
        and candidates.scope_value = costed.scope_value
        and candidates.period_start = costed.period_start
)

select * from final
order by request_index, budget_order
