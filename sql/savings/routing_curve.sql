-- Each policy's saving and quality against the share of its eligible traffic kept on the
-- strong (source) model, 0 to 1 by 0.1: random routing (PGR = strong share), routing by the
-- scorer's score (the lowest-scoring requests switch first; PGR from the scorer's calibration,
-- with its 90 % bootstrap band) and the oracle (knows the answers; PGR upper bound from the
-- calibration set). Grain: policy x strong_share.
with candidates as (
    select * from routing_candidates where is_eligible
),

per_request as (
    -- One row per request: a weighted policy with several targets averages them by weight.
    select
        policy,
        source,
        request_id,
        any_value(score) as score,
        sum(weight_share * (cost_usd_actual - to_cost_usd)) / sum(weight_share) as saving_usd,
        any_value(fee_usd) as fee_usd
    from (
        select *, case when kind = 'weighted' then route_weight else 1.0 end as weight_share
        from candidates
    )
    group by policy, source, request_id
),

shares as (
    select
        range / 10 as strong_share,
        range as share_index
    from range(0, 11)
),

thresholds as (
    select
        policy,
        quantile_cont(score, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
            as score_quantiles
    from per_request
    group by policy
),

share_thresholds as (
    select
        thresholds.policy,
        shares.strong_share,
        case when shares.share_index = 0 then 'Infinity'::double
            else thresholds.score_quantiles[shares.share_index + 1] end as score_threshold
    from thresholds
    cross join shares
),

routed as (
    select
        share_thresholds.policy,
        share_thresholds.strong_share,
        share_thresholds.score_threshold,
        count(*) as eligible_requests,
        count(*) filter (where per_request.score < share_thresholds.score_threshold)
            as routed_requests,
        sum(per_request.saving_usd) filter (
            where per_request.score < share_thresholds.score_threshold) as routed_saving_usd,
        sum(per_request.saving_usd) as full_saving_usd,
        sum(per_request.fee_usd) as fee_usd
    from share_thresholds
    inner join per_request
        on per_request.policy = share_thresholds.policy
    group by share_thresholds.policy, share_thresholds.strong_share,
        share_thresholds.score_threshold
),

final as (
    select
        routed.policy,
        policies.scorer,
        routed.strong_share,
        routed.score_threshold,
        routed.eligible_requests,
        routed.routed_requests,
        (1 - routed.strong_share) * routed.full_saving_usd - routed.fee_usd
            as saved_usd_random,
        coalesce(routed.routed_saving_usd, 0) - routed.fee_usd as saved_usd_calibrated,
        (1 - routed.strong_share) * routed.full_saving_usd - routed.fee_usd
            as saved_usd_oracle,
        routed.strong_share as pgr_random,
        calibration.pgr as pgr_calibrated,
        calibration.pgr_p05 as pgr_calibrated_low,
        calibration.pgr_p95 as pgr_calibrated_high,
        calibration.pgr_oracle,
        calibration.dataset as calibration_dataset
    from routed
    inner join routing_policy_scorers as policies
        on policies.policy = routed.policy
    left join routing_calibration as calibration
        on calibration.scorer = policies.scorer
        and round(calibration.strong_share, 1) = round(routed.strong_share, 1)
)

select * from final
