-- Retry loops: the same prompt (prompt_hash) sent again and again by one key in one session.
-- Calls of a (key, session, prompt) less than $retry_window_minutes apart form one run; a run is
-- a loop once $retry_min_calls calls fall inside one window and the run has cost at least
-- $retry_min_usd; it is detected at the call where both first hold. A loop is a pattern, not a
-- series, so it needs no warm-up. Grain: key x session x prompt x run.
with requests as (
    select * from requests where prompt_hash is not null and cost_usd is not null
),

windowed as (
    select
        source,
        request_id,
        occurred_at,
        api_key_hash,
        session_id,
        prompt_hash,
        cast(cost_usd as double) as cost_usd,
        count(*) over recent as calls_in_window,
        occurred_at - lag(occurred_at) over calls as gap
    from requests
    window
        calls as (partition by api_key_hash, session_id, prompt_hash order by occurred_at,
                  request_id),
        recent as (partition by api_key_hash, session_id, prompt_hash order by occurred_at
                   range between to_minutes(cast($retry_window_minutes as bigint)) preceding
                   and current row)
),

runs as (
    select
        *,
        sum(case when gap is null or gap >= to_minutes(cast($retry_window_minutes as bigint))
            then 1 else 0 end) over calls as run_number
    from windowed
    window calls as (partition by api_key_hash, session_id, prompt_hash order by occurred_at,
                     request_id)
),

cumulative as (
    select
        *,
        sum(cost_usd) over (
            partition by api_key_hash, session_id, prompt_hash, run_number
            order by occurred_at, request_id rows between unbounded preceding and current row
        ) as run_cost_usd
    from runs
),

loops as (
    select
        api_key_hash,
        session_id,
        prompt_hash,
        run_number,
        min(occurred_at) as window_start,
        max(occurred_at) as last_call_at,
        sum(cost_usd) as actual_usd,
        arg_min(cost_usd, occurred_at) as expected_usd,
        max(calls_in_window) as max_calls_in_window,
        min(occurred_at) filter (where calls_in_window >= $retry_min_calls
            and run_cost_usd >= $retry_min_usd) as detected_at,
        arg_min(run_cost_usd, occurred_at) filter (where calls_in_window >= $retry_min_calls
            and run_cost_usd >= $retry_min_usd) as spend_at_detection_usd
    from cumulative
    group by api_key_hash, session_id, prompt_hash, run_number
),

final as (
    select
        'retry_loop' as kind,
        case when session_id is not null then 'session_id' else 'api_key_hash' end
            as dimension,
        coalesce(session_id, api_key_hash, 'unattributed') as dimension_value,
        window_start,
        last_call_at + interval 1 second as window_end,
        actual_usd,
        expected_usd,
        cast(max_calls_in_window as double) as score,
        detected_at,
        spend_at_detection_usd,
        api_key_hash,
        prompt_hash
    from loops
    where detected_at is not null
)

select * from final
