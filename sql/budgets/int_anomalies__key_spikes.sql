-- API keys spending far above their own baseline, hour by hour (a leaked key). Baseline: the
-- key's typical busiest hour, the median over the prior $baseline_days days of each day's
-- largest hourly spend (and call count). An hour is anomalous when its spend is at least
-- $key_spike_factor x that baseline with a second signal (calls at least as far above their
-- baseline, or a model the key never used before), or $key_spike_alone_factor x alone; the
-- impact clears both floors; the key has $warmup_days days of history. Consecutive anomalous
-- hours form one anomaly. Grain: key x run of anomalous hours.
with requests as (
    select * from requests where cost_usd is not null and api_key_hash is not null
),

first_use as (
    select api_key_hash, model, min(occurred_at) as first_used_at
    from requests
    group by all
),

hourly as (
    select
        requests.api_key_hash,
        date_trunc('hour', requests.occurred_at) as hour_at,
        cast(sum(requests.cost_usd) as double) as cost_usd,
        count(*) as calls,
        bool_or(first_use.first_used_at >= date_trunc('hour', requests.occurred_at))
            as has_new_model
    from requests
    inner join first_use
        on first_use.api_key_hash = requests.api_key_hash
        and first_use.model = requests.model
    group by all
),

keys as (
    select api_key_hash, cast(min(hour_at) as date) as first_date
    from hourly
    group by all
),

daily_peaks as (
    select api_key_hash, cast(hour_at as date) as usage_date, max(cost_usd) as peak_usd,
        max(calls) as peak_calls
    from hourly
    group by all
),

last_day as (
    select max(cast(hour_at as date)) as last_date from hourly
),

dense as (
    select
        keys.api_key_hash,
        keys.first_date,
        cast(unnest(generate_series(keys.first_date, last_day.last_date, interval 1 day))
            as date) as usage_date
    from keys
    cross join last_day
),

baseline as (
    select
        dense.api_key_hash,
        dense.first_date,
        dense.usage_date,
        median(coalesce(daily_peaks.peak_usd, 0)) over prior as baseline_usd,
        median(coalesce(daily_peaks.peak_calls, 0)) over prior as baseline_calls
    from dense
    left join daily_peaks
        on daily_peaks.api_key_hash = dense.api_key_hash
        and daily_peaks.usage_date = dense.usage_date
    window prior as (
        partition by dense.api_key_hash order by dense.usage_date
        rows between $baseline_days preceding and 1 preceding
    )
),

scored as (
    select
        hourly.*,
        baseline.baseline_usd,
        hourly.cost_usd / greatest(baseline.baseline_usd, 0.01) as score,
        hourly.cost_usd - baseline.baseline_usd as impact_usd,
        hourly.calls >= $key_spike_factor * greatest(baseline.baseline_calls, 1) as is_rate_spike
    from hourly
    inner join baseline
        on baseline.api_key_hash = hourly.api_key_hash
        and baseline.usage_date = cast(hourly.hour_at as date)
    where baseline.usage_date - baseline.first_date >= $warmup_days
),

flagged as (
    select
        *,
        epoch(hour_at) / 3600 - row_number() over (
            partition by api_key_hash order by hour_at) as island
    from scored
    where impact_usd >= $min_impact_usd
        and impact_usd >= $min_impact_pct * baseline_usd
        and (score >= $key_spike_alone_factor
            or (score >= $key_spike_factor and (is_rate_spike or has_new_model)))
),

final as (
    select
        'key_spike' as kind,
        'api_key_hash' as dimension,
        api_key_hash as dimension_value,
        min(hour_at) as window_start,
        max(hour_at) + interval 1 hour as window_end,
        sum(cost_usd) as actual_usd,
        sum(baseline_usd) as expected_usd,
        max(score) as score,
        min(hour_at) + interval 1 hour as detected_at,
        arg_min(cost_usd, hour_at) as spend_at_detection_usd
    from flagged
    group by api_key_hash, island
)

select * from final
