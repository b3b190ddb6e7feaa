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

-- One integer per request in replay order: every later join and window runs on it.
indexed as (
    select
        row_number() over (order by occurred_at, request_id, source) as request_index,
        source,
        request_id,
        occurred_at,
        usage_date,
        environment,
        cost_usd,
        is_priced,
        team,
        feature,
        project,
        provider,
        model,
        api_key_hash,
        user_id,
        timezone($timezone, occurred_at) as occurred_local,
        -- Nano-dollars: cumulative sums over int64 are exact and fast.
        cast(round(coalesce(cost_usd, 0) * 1000000000) as bigint) as cost_nano
    from requests
),

conditions as (
    select budget_order, unnest(scope) as condition
    from budgets
),

environment_actions as (
    select budget_order, action_item.key as environment, action_item.value as action
    from (select budget_order, unnest(actions) as action_item from budgets)
    where action_item.key != 'default'
),

request_conditions as (
    select
        indexed.request_index,
        conditions.budget_order,
        conditions.condition.key as scope_key,
        conditions.condition.value as wanted_value,
        case conditions.condition.key
            when 'team' then indexed.team
            when 'feature' then indexed.feature
            when 'environment' then indexed.environment
            when 'project' then indexed.project
            when 'provider' then indexed.provider
            when 'model' then indexed.model
            when 'api_key_hash' then indexed.api_key_hash
            when 'user_id' then indexed.user_id
        end as request_value
    from indexed
    cross join conditions
),

kept as (
    select request_conditions.*, len(budgets.scope) as scope_keys
    from request_conditions
    inner join budgets
        on budgets.budget_order = request_conditions.budget_order
    where request_value is not null
        and (wanted_value = '*' or request_value = wanted_value)
),

-- A scope of one key (the common case) needs no aggregation; several keys must all match.
matched as (
    select request_index, budget_order, scope_key || '=' || request_value as scope_value
    from kept
    where scope_keys = 1
    union all
    select
        request_index,
        budget_order,
        string_agg(scope_key || '=' || request_value, ',' order by scope_key) as scope_value
    from kept
    where scope_keys > 1
    group by request_index, budget_order
    having count(*) = any_value(scope_keys)
    union all
    select indexed.request_index, budgets.budget_order, 'all' as scope_value
    from indexed
    cross join budgets
    where len(budgets.scope) = 0
),

-- The window below sorts what it carries: keep these rows narrow, join the rest after it.
localised as (
    select
        matched.request_index,
        matched.budget_order,
        matched.scope_value,
        budgets.period,
        coalesce(environment_actions.action, budgets.default_action) as action,
        indexed.cost_nano,
        case budgets.period
            when 'day' then date_trunc('day', indexed.occurred_local)
            when 'week' then date_trunc('week', indexed.occurred_local - to_days($week_offset))
                + to_days($week_offset)
            when 'month' then date_trunc('month', indexed.occurred_local)
            when 'quarter' then date_trunc('quarter', indexed.occurred_local)
        end as period_start_local
    from matched
    inner join indexed
        on indexed.request_index = matched.request_index
    inner join budgets
        on budgets.budget_order = matched.budget_order
    left join environment_actions
        on environment_actions.budget_order = matched.budget_order
        and environment_actions.environment = indexed.environment
),

cumulative as (
    select
        request_index,
        budget_order,
        scope_value,
        period,
        action,
        period_start_local,
        cost_nano,
        sum(cost_nano) over period_so_far as cumulative_nano,
        row_number() over period_so_far as period_rank
    from localised
    window period_so_far as (
        partition by budget_order, scope_value, period_start_local
        order by request_index
        rows between unbounded preceding and current row
    )
),

-- Back to UTC once per distinct period, not once per request.
period_bounds as (
    select
        period,
        period_start_local,
        timezone($timezone, period_start_local) as period_start,
        timezone($timezone, period_start_local + case period
            when 'day' then interval 1 day
            when 'week' then interval 7 day
            when 'month' then interval 1 month
            when 'quarter' then interval 3 month
        end) as period_end
    from (select distinct period, period_start_local from localised)
),

final as (
    select
        cumulative.request_index,
        indexed.source,
        indexed.request_id,
        budgets.budget_id,
        cumulative.scope_value,
        cumulative.period,
        period_bounds.period_start,
        period_bounds.period_end,
        cast(budgets.amount_usd as decimal(18, 6)) as amount_usd,
        cumulative.budget_order,
        cumulative.action,
        budgets.failover_model,
        indexed.environment,
        indexed.occurred_at,
        indexed.usage_date,
        indexed.cost_usd,
        indexed.is_priced,
        cumulative.cost_nano,
        cumulative.cumulative_nano,
        cast(cumulative.cumulative_nano as decimal(38, 0)) * 0.000000001 as cumulative_usd,
        cumulative.period_rank
    from cumulative
    inner join indexed
        on indexed.request_index = cumulative.request_index
    inner join budgets
        on budgets.budget_order = cumulative.budget_order
    inner join period_bounds
        on period_bounds.period = cumulative.period
        and period_bounds.period_start_local = cumulative.period_start_local
)

select * from final
