-- A/B evidence in the logs: where one team/feature was served by both a policy's source model
-- and its target (a canary, an experiment, a gradual migration), the observed ratio of their
-- mean output tokens replaces the assumed output_length_ratio band for that feature, and the
-- failure rates of the two arms are reported next to it. Each arm needs $min_requests
-- successful requests. Grain: team x feature x from_model x to_model.
with pairs as (
    select distinct
        matched.team,
        matched.feature,
        matched.from_model,
        arms.to_model_id as to_model
    from routing_matched as matched
    inner join routing_arms as arms
        on arms.policy_index = matched.policy_index
    where arms.to_model_id <> matched.from_model
),

served as (
    select
        coalesce(team, 'unattributed') as team,
        coalesce(feature, 'unattributed') as feature,
        provider || '/' || model as model_id,
        count(*) filter (where status = 'success') as succeeded_requests,
        count(*) as requests,
        avg(output_tokens) filter (where status = 'success') as mean_output_tokens
    from requests
    where not is_gateway_cache_hit
    group by all
),

final as (
    select
        pairs.team,
        pairs.feature,
        pairs.from_model,
        pairs.to_model,
        source_arm.succeeded_requests as from_requests,
        target_arm.succeeded_requests as to_requests,
        target_arm.mean_output_tokens / nullif(source_arm.mean_output_tokens, 0)
            as output_ratio,
        1 - source_arm.succeeded_requests / source_arm.requests as from_failure_rate,
        1 - target_arm.succeeded_requests / target_arm.requests as to_failure_rate
    from pairs
    inner join served as source_arm
        on source_arm.team = pairs.team
        and source_arm.feature = pairs.feature
        and source_arm.model_id = pairs.from_model
    inner join served as target_arm
        on target_arm.team = pairs.team
        and target_arm.feature = pairs.feature
        and target_arm.model_id = pairs.to_model
    where source_arm.succeeded_requests >= $min_requests
        and target_arm.succeeded_requests >= $min_requests
        and source_arm.mean_output_tokens > 0
)

select * from final
