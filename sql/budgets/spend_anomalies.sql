-- Grain: one row per anomaly (kind x dimension value x window_start). impact_usd = actual -
-- expected (as AWS Cost Anomaly Detection), impact_pct NULL when expected is $0. root_causes:
-- the top 3 contributors of the anomaly's window by team, feature, model and api_key_hash
-- (other than the anomaly's own dimension), with their dollars, largest first. detected_at is when the evidence was complete (the day's or hour's end
-- for the series kinds, the deciding request for the others); spend_at_detection_usd what the
-- anomaly had cost by then. anomaly_id hashes kind, dimension value and window start, so it is
-- stable while a running anomaly grows.
with detected as (
    select kind, dimension, dimension_value, window_start, window_end, actual_usd,
        expected_usd, score, detected_at, spend_at_detection_usd
    from anomalies_spend_spikes
    union all by name
    select kind, dimension, dimension_value, window_start, window_end, actual_usd,
        expected_usd, score, detected_at, spend_at_detection_usd
    from anomalies_key_spikes
    union all by name
    select kind, dimension, dimension_value, window_start, window_end, actual_usd,
        expected_usd, score, detected_at, spend_at_detection_usd
    from anomalies_retry_loops
    union all by name
    select kind, dimension, dimension_value, window_start, window_end, actual_usd,
        expected_usd, score, detected_at, spend_at_detection_usd
    from anomalies_new_series
),

identified as (
    select
        md5(concat_ws('|', kind, dimension, dimension_value,
                      strftime(window_start, '%Y-%m-%dT%H:%M:%SZ'))) as anomaly_id,
        *
    from detected
),

requests as (
    select
        source, request_id, occurred_at, cost_usd, team, feature, model, provider,
        api_key_hash, session_id
    from requests
    where cost_usd is not null
),

-- The anomaly's requests: one equality join per dimension (the anomalies are few).
in_window as (
    select identified.anomaly_id, requests.*
    from identified
    inner join requests
        on coalesce(requests.team, 'unattributed') = identified.dimension_value
        and requests.occurred_at >= identified.window_start
        and requests.occurred_at < identified.window_end
    where identified.dimension = 'team'
    union all
    select identified.anomaly_id, requests.*
    from identified
    inner join requests
        on coalesce(requests.team, 'unattributed') || '/' || coalesce(requests.feature, 'unattributed') = identified.dimension_value
        and requests.occurred_at >= identified.window_start
        and requests.occurred_at < identified.window_end
    where identified.dimension = 'feature'
    union all
    select identified.anomaly_id, requests.*
    from identified
    inner join requests
        on requests.model = identified.dimension_value
        and requests.occurred_at >= identified.window_start
        and requests.occurred_at < identified.window_end
    where identified.dimension = 'model' and identified.kind != 'new_model'
    union all
    select identified.anomaly_id, requests.*
    from identified
    inner join requests
        on requests.provider = identified.dimension_value
        and requests.occurred_at >= identified.window_start
        and requests.occurred_at < identified.window_end
    where identified.dimension = 'provider'
    union all
    select identified.anomaly_id, requests.*
    from identified
    inner join requests
        on requests.api_key_hash = identified.dimension_value
        and requests.occurred_at >= identified.window_start
        and requests.occurred_at < identified.window_end
    where identified.dimension = 'api_key_hash'
    union all
    select identified.anomaly_id, requests.*
    from identified
    inner join requests
        on requests.session_id = identified.dimension_value
        and requests.occurred_at >= identified.window_start
        and requests.occurred_at < identified.window_end
    where identified.dimension = 'session_id'
    union all
    select identified.anomaly_id, requests.*
    from identified
    inner join requests
        on requests.provider || '/' || requests.model = identified.dimension_value
        and requests.occurred_at >= identified.window_start
        and requests.occurred_at < identified.window_end
    where identified.kind = 'new_model'
),

first_requests as (
    select anomaly_id, arg_min(request_id, (occurred_at, request_id)) as first_request_id
    from in_window
    group by anomaly_id
),

contributions as (
    select anomaly_id, contributor_dimension, contributor_value,
        sum(cost_usd) as contributor_usd
    from (
        unpivot (
            select anomaly_id, cost_usd, coalesce(team, 'unattributed') as team,
                coalesce(feature, 'unattributed') as feature, model,
                coalesce(api_key_hash, 'unattributed') as api_key_hash
            from in_window
        )
        on team, feature, model, api_key_hash
        into name contributor_dimension value contributor_value
    )
    group by all
),

ranked as (
    select
        contributions.*,
        row_number() over (partition by contributions.anomaly_id, contributor_dimension
                           order by contributor_usd desc, contributor_value) as contributor_rank
    from contributions
    inner join identified
        on identified.anomaly_id = contributions.anomaly_id
    -- The anomaly's own dimension is no explanation of itself.
    where contributions.contributor_dimension != identified.dimension
),

root_causes as (
    select
        anomaly_id,
        list({'dimension': contributor_dimension, 'value': contributor_value,
              'cost_usd': cast(contributor_usd as decimal(18, 6))}
             order by contributor_usd desc, contributor_dimension, contributor_value)
            as root_causes
    from ranked
    where contributor_rank <= 3
    group by anomaly_id
),

final as (
    select
        identified.anomaly_id,
        identified.kind,
        identified.dimension,
        identified.dimension_value,
        identified.window_start,
        identified.window_end,
        cast(identified.actual_usd as decimal(18, 6)) as actual_usd,
        cast(identified.expected_usd as decimal(18, 6)) as expected_usd,
        cast(identified.actual_usd - identified.expected_usd as decimal(18, 6)) as impact_usd,
        case when identified.expected_usd > 0 then round(
            (identified.actual_usd - identified.expected_usd) / identified.expected_usd * 100, 2)
        end as impact_pct,
        round(identified.score, 2) as score,
        root_causes.root_causes,
        first_requests.first_request_id,
        identified.detected_at,
        cast(identified.spend_at_detection_usd as decimal(18, 6)) as spend_at_detection_usd
    from identified
    left join root_causes
        on root_causes.anomaly_id = identified.anomaly_id
    left join first_requests
        on first_requests.anomaly_id = identified.anomaly_id
)

select * from final
order by detected_at, kind, dimension_value
