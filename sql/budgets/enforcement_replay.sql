-- Grain: one row per request the replay changes (source x request_id): blocked, or failed over
-- to the deciding budget's failover_model at that model's dated price. replay_cost_usd and
-- saved_usd are NULL when the failover model has no price (failover_unpriced_reason says why).
with decisions as (
    select * from replay_decisions
),

requests as (
    select * from requests
),

failover as (
    select * from budget_failover_costs
),

final as (
    select
        decisions.request_id,
        decisions.source,
        requests.occurred_at,
        decisions.decision,
        decisions.budget_id,
        decisions.scope_value,
        decisions.period_start,
        requests.team,
        requests.feature,
        requests.environment,
        requests.model,
        case when decisions.decision = 'failover' then decisions.failover_model end
            as failover_model,
        requests.cost_usd as original_cost_usd,
        case
            when decisions.decision = 'blocked' then cast(0 as decimal(38, 12))
            else failover.failover_cost_usd
        end as replay_cost_usd,
        requests.cost_usd - case
            when decisions.decision = 'blocked' then cast(0 as decimal(38, 12))
            else failover.failover_cost_usd
        end as saved_usd,
        case when decisions.decision = 'failover' then failover.failover_unpriced_reason end
            as failover_unpriced_reason
    from decisions
    inner join requests
        on requests.source = decisions.source
        and requests.request_id = decisions.request_id
    left join failover
        on failover.request_index = decisions.request_index
        and failover.failover_model = decisions.failover_model
)

select * from final
order by occurred_at, request_id, source
