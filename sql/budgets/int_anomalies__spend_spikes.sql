-- Daily spend spikes per team, feature, model and provider series. Baseline: the median of the
-- same weekday over the prior $baseline_days days (weekly seasonality, robust to one-off days),
-- scaled by the median absolute deviation of all those days; score = robust z
-- 0.6745 x (actual - expected) / MAD (Iglewicz-Hoaglin). A day is anomalous when
-- z >= $z_threshold and the impact clears both floors ($min_impact_usd and $min_impact_pct
-- of expected), and only once the series has $warmup_days days of history. Consecutive
-- anomalous days form one anomaly. Grain: series x run of anomalous days.
with requests as (
    select * from requests where cost_usd is not null
),

daily as (
    select 'team' as dimension, coalesce(team, 'unattributed') as dimension_value, usage_date,
        sum(cost_usd) as cost_usd
    from requests group by all
    union all
    select 'feature', coalesce(team, 'unattributed') || '/' || coalesce(feature, 'unattributed'),
        usage_date, sum(cost_usd)
    from requests group by all
    union all
    select 'model', model, usage_date, sum(cost_usd) from requests group by all
    union all
    select 'provider', provider, usage_date, sum(cost_usd) from requests group by all
),

series as (
    select dimension, dimension_value, min(usage_date) as first_date
    from daily
    group by all
),

last_day as (
    select max(usage_date) as last_date from requests
),

dense as (
    select
        series.dimension,
        series.dimension_value,
        series.first_date,
        cast(unnest(generate_series(series.first_date, last_day.last_date, interval 1 day))
            as date) as usage_date
    from series
    cross join last_day
),

filled as (
    select
        dense.*,
        cast(coalesce(daily.cost_usd, 0) as double) as cost_usd
    from dense
    left join daily
        on daily.dimension = dense.dimension
        and daily.dimension_value = dense.dimension_value
        and daily.usage_date = dense.usage_date
),

history as (
    select
        *,
        list({'weekday': dayofweek(usage_date), 'cost_usd': cost_usd}) over (
            partition by dimension, dimension_value order by usage_date
            rows between $baseline_days preceding and 1 preceding
        ) as prior_days
    from filled
),

baseline as (
    select
        *,
        list_aggregate(list_transform(
            list_filter(prior_days, lambda day: day.weekday = dayofweek(usage_date)),
            lambda day: day.cost_usd), 'median') as expected_usd,
        list_aggregate(list_transform(prior_days, lambda day: day.cost_usd), 'mad') as mad_usd,
        list_aggregate(list_transform(prior_days, lambda day: day.cost_usd), 'median')
            as level_usd
    from history
    where usage_date - first_date >= $warmup_days
),

scored as (
    select
        *,
        0.6745 * (cost_usd - expected_usd)
            / greatest(mad_usd, 0.05 * level_usd, 0.01) as score,
        cost_usd - expected_usd as impact_usd
    from baseline
),

flagged as (
    select
        *,
        usage_date - cast(row_number() over (
            partition by dimension, dimension_value order by usage_date) as integer) as island
    from scored
    where score >= $z_threshold
        and impact_usd >= $min_impact_usd
        and impact_usd >= $min_impact_pct * expected_usd
),

final as (
    select
        'spend_spike' as kind,
        dimension,
        dimension_value,
        cast(min(usage_date) as timestamptz) as window_start,
        cast(max(usage_date) + 1 as timestamptz) as window_end,
        sum(cost_usd) as actual_usd,
        sum(expected_usd) as expected_usd,
        max(score) as score,
        cast(min(usage_date) + 1 as timestamptz) as detected_at,
        arg_min(cost_usd, usage_date) as spend_at_detection_usd
    from flagged
    group by dimension, dimension_value, island
)

select * from final
