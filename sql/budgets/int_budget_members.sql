-- Each request x each budget instance it counts toward (budget x scope value x period), with
-- the action that applies to it and the period's cumulative cost up to and including it.
-- Periods are [start, end) in the configured zone ($timezone), cast back to UTC; weeks start
-- $week_offset days after Monday. A "*" scope key makes one instance per value; a request whose
-- value is NULL matches no instance of that key. Unpriced requests (cost_usd NULL) add nothing
-- and are counted apart. Grain: source x request_id x budget_id. A temp table of the budgets
-- step, not a mart.
with requests as (
    select * from requests
),

budgets as (
    select * from budget_rows
),

conditions as (
    select budget_id, unnest(scope) as condition
    from budgets
),

request_conditions as (
    select
        requests.source,
        requests.request_id,
        conditions.budget_id,
        conditions.condition.key as scope_key,
        conditions.condition.value as wanted_value,
        case conditions.condition.key
            when 'team' then requests.team
            when 'feature' then requests.feature
            when 'environment' then requests.environment
            when 'project' then requests.project
            when 'provider' then requests.provider
            when 'model' then requests.model
            when 'api_key_hash' then requests.api_key_hash
            when 'user_id' then requests.user_id
        end as request_value
    from requests
    cross join conditions
),

scoped as (
    select
        source,
        request_id,
        budget_id,
        string_agg(scope_key || '=' || request_value, ',' order by scope_key) as scope_value,
        count(*) as matched_conditions
    from request_conditions
    where request_value is not null
        and (wanted_value = '*' or request_value = wanted_value)
    group by source, request_id, budget_id
),

matched as (
    select scoped.source, scoped.request_id, scoped.budget_id, scoped.scope_value
    from scoped
    inner join budgets
        on budgets.budget_id = scoped.budget_id
        and len(budgets.scope) = scoped.matched_conditions
    union all
    select requests.source, requests.request_id, budgets.budget_id, 'all' as scope_value
    from requests
    cross join budgets
    where len(budgets.scope) = 0
),

localised as (
    select
        matched.*,
        requests.occurred_at,
        requests.usage_date,
        requests.environment,
        requests.cost_usd,
        requests.is_priced,
        budgets.period,
        budgets.amount_usd,
        budgets.budget_order,
        budgets.failover_model,
        coalesce(
            list_filter(budgets.actions, lambda item: item.key = requests.environment)[1].value,
            list_filter(budgets.actions, lambda item: item.key = 'default')[1].value
        ) as action,
        timezone($timezone, requests.occurred_at) as occurred_local
    from matched
    inner join requests
        on requests.source = matched.source
        and requests.request_id = matched.request_id
    inner join budgets
        on budgets.budget_id = matched.budget_id
),

periods as (
    select
        *,
        case period
            when 'day' then date_trunc('day', occurred_local)
            when 'week' then date_trunc('week', occurred_local - to_days($week_offset))
                + to_days($week_offset)
            when 'month' then date_trunc('month', occurred_local)
            when 'quarter' then date_trunc('quarter', occurred_local)
        end as period_start_local
    from localised
),

final as (
    select
        source,
        request_id,
        budget_id,
        scope_value,
        period,
        timezone($timezone, period_start_local) as period_start,
        timezone($timezone, period_start_local + case period
            when 'day' then interval 1 day
            when 'week' then interval 7 day
            when 'month' then interval 1 month
            when 'quarter' then interval 3 month
        end) as period_end,
        cast(amount_usd as decimal(18, 6)) as amount_usd,
        budget_order,
        action,
        failover_model,
        environment,
        occurred_at,
        usage_date,
        cost_usd,
        is_priced,
        sum(coalesce(cost_usd, 0)) over (
            partition by budget_id, scope_value, period_start_local
            order by occurred_at, request_id, source
            rows between unbounded preceding and current row
        ) as cumulative_usd,
        row_number() over (
            partition by budget_id, scope_value, period_start_local
            order by occurred_at, request_id, source
        ) as period_rank
    from periods
)

select * from final
