-- Grain: one row per session (source x session_id): an agent run or a conversation.
-- Attribution is the session's most frequent non-null value. duration_seconds spans the first
-- call's start to the last call's end.
with requests as (
    select * from requests
    where session_id is not null
),

final as (
    select
        source,
        session_id,
        coalesce(mode(team), 'unattributed') as team,
        coalesce(mode(feature), 'unattributed') as feature,
        coalesce(mode(environment), 'unattributed') as environment,
        mode(user_id) as user_id,
        count(*) as calls,
        count(*) filter (where status = 'failure') as failed_calls,
        count(*) filter (where not is_priced) as unpriced_calls,
        min(occurred_at) as first_call_at,
        max(coalesce(ended_at, occurred_at)) as last_call_at,
        date_diff('millisecond', min(occurred_at), max(coalesce(ended_at, occurred_at))) / 1000.0
            as duration_seconds,
        list_sort(list_distinct(list(model))) as models,
        count(distinct model) as model_count,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(cache_read_input_tokens) as bigint) as cache_read_input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        max(input_tokens) as max_input_tokens,
        cast(coalesce(sum(cost_usd), 0) as decimal(38, 12)) as cost_usd,
        sum(reported_cost_usd) as reported_cost_usd
    from requests
    group by source, session_id
)

select * from final
