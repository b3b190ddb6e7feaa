-- Retry loops: the same prompt (prompt_hash) sent again and again by one key in one session.
-- Calls of a (key, session, prompt) less than $retry_window_minutes apart form one run; a run is
-- a loop once $retry_min_calls calls fall inside one window and the run has cost at least
-- $retry_min_usd; it is detected at the call where both first hold. A loop is a pattern, not a
-- series, so it needs no warm-up. Grain: key x session x prompt x run.
with requests as (
    select * from requests where prompt_hash is not null and cost_usd is not null
),

-- Only (key, session, prompt) groups with enough calls can loop: most sessions are short.
repeated as (
    select api_key_hash, session_id, prompt_hash
    from requests
    group by all
    having count(*) >= $retry_min_calls
),

windowed as (
    select
        requests.source,
        requests.request_id,
        requests.occurred_at,
        requests.api_key_hash,
        requests.session_id,
        requests.prompt_hash,
        cast(requests.cost_usd as double) as cost_usd,
        count(*) over recent as calls_in_window,
        requests.occurred_at - lag(requests.occurred_at) over calls as gap,
        sum(cast(requests.cost_usd as double)) over calls as cumulative_usd
    from requests
    semi join repeated
        on repeated.api_key_hash is not distinct from requests.api_key_hash
        and repeated.session_id is not distinct from requests.session_id
        and repeated.prompt_hash = requests.prompt_hash
    window
        calls as (partition by requests.api_key_hash, requests.session_id, requests.prompt_hash
                  order by requests.occurred_at, requests.request_id
                  rows between unbounded preceding and current row),
        recent as (partition by requests.api_key_hash, requests.session_id,
                   requests.prompt_hash order by requests.occurred_at
                   range between to_minutes(cast($retry_window_minutes as bigint)) preceding
                   and current row)
),

-- A gap of a whole window starts a new run; a run's cost so far is the cumulative cost minus
-- the cumulative cost before the run began (the largest such start value seen so far).
cumulative as (
    select
        *,
        sum(case when is_new_run then 1 else 0 end) over calls as run_number,
        cumulative_usd - max(case when is_new_run then cumulative_usd - cost_usd end)
            over calls as run_cost_usd
    from (
        select
            *,
            gap is null or gap >= to_minutes(cast($retry_window_minutes as bigint))
                as is_new_run
        from windowed
    )
    window calls as (partition by api_key_hash, session_id, prompt_hash
                     order by occurred_at, request_id
                     rows between unbounded preceding and current row)
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
