-- A model, or an API key, seen for the first time once the organisation has $warmup_days days
-- of history (before that everything is new). Reported when its spend reaches $min_impact_usd
-- (so a one-cent test call pages no one); actual_usd is its first day's spend, expected $0.
-- Grain: model (provider/model) or api_key_hash.
with requests as (
    select * from requests where cost_usd is not null
),

history as (
    select min(occurred_at) as first_at from requests
),

subjects as (
    select 'new_model' as kind, 'model' as dimension, provider || '/' || model as dimension_value,
        occurred_at, request_id, cast(cost_usd as double) as cost_usd
    from requests
    union all
    select 'new_key', 'api_key_hash', api_key_hash, occurred_at, request_id,
        cast(cost_usd as double)
    from requests
    where api_key_hash is not null
),

cumulative as (
    select
        *,
        min(occurred_at) over subject as first_seen_at,
        sum(cost_usd) over (subject rows between unbounded preceding and current row)
            as cumulative_usd
    from subjects
    window subject as (partition by kind, dimension_value order by occurred_at, request_id)
),

final as (
    select
        cumulative.kind,
        cumulative.dimension,
        cumulative.dimension_value,
        cumulative.first_seen_at as window_start,
        cumulative.first_seen_at + interval 1 day as window_end,
        sum(cumulative.cost_usd) filter (
            where cumulative.occurred_at < cumulative.first_seen_at + interval 1 day)
            as actual_usd,
        0.0 as expected_usd,
        cast(null as double) as score,
        min(cumulative.occurred_at) filter (where cumulative.cumulative_usd >= $min_impact_usd)
            as detected_at,
        min(cumulative.cumulative_usd) filter (
            where cumulative.cumulative_usd >= $min_impact_usd) as spend_at_detection_usd
    from cumulative
    cross join history
    where cumulative.first_seen_at >= history.first_at + to_days(cast($warmup_days as integer))
    group by all
    having min(cumulative.occurred_at) filter (
        where cumulative.cumulative_usd >= $min_impact_usd) is not null
)

select * from final
