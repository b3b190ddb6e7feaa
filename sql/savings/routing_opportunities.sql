-- What each routing policy would have saved. Grain: usage_date x team x feature x policy x
-- from_model x to_model. routed_requests is an expected count (a weighted split routes its
-- share of each request); saved_usd is point (low, high: the output-length and tokenizer
-- bands), net of the router fee; NULL when nothing was eligible (an unpriced target is counted
-- in target_unpriced_requests, never priced at $0). est_pgr is the share of the strong-weak
-- quality gap kept (PGR): 0 for a rule (the target's quality on those requests), the strong
-- share for a weighted split (random routing), the scorer's calibration for a classifier.
with candidates as (
    select * from routing_candidates
),

final as (
    select
        usage_date,
        team,
        feature,
        policy,
        any_value(kind) as kind,
        from_model,
        to_model,
        count(*) as requests,
        count(*) filter (where is_eligible) as eligible_requests,
        sum(route_weight) as routed_requests,
        sum(route_weight) / nullif(count(*) filter (where is_eligible), 0) as routed_share,
        sum(cost_usd_actual) as cost_usd,
        sum(route_weight * cost_usd_actual) filter (where is_eligible) as routed_actual_cost_usd,
        sum(route_weight * to_cost_usd) filter (where is_eligible) as routed_cost_usd,
        sum(route_weight * (cost_usd_actual - to_cost_usd) - fee_usd)
            filter (where is_eligible) as saved_usd,
        sum(route_weight * (cost_usd_actual - to_cost_usd_high) - fee_usd)
            filter (where is_eligible) as saved_usd_low,
        sum(route_weight * (cost_usd_actual - to_cost_usd_low) - fee_usd)
            filter (where is_eligible) as saved_usd_high,
        sum(fee_usd) as fee_usd,
        count(*) filter (where ineligible_reason = 'target_unpriced') as target_unpriced_requests,
        any_value(to_unpriced_reason) as target_unpriced_reason,
        count(*) filter (where ineligible_reason = 'context_window') as context_window_requests,
        case
            when any_value(kind) = 'weighted'
                then 1 - sum(route_weight) / nullif(count(*) filter (where is_eligible), 0)
            else any_value(est_pgr)
        end as est_pgr,
        case
            when any_value(kind) = 'weighted'
                then 1 - sum(route_weight) / nullif(count(*) filter (where is_eligible), 0)
            else any_value(est_pgr_low)
        end as est_pgr_low,
        case
            when any_value(kind) = 'weighted'
                then 1 - sum(route_weight) / nullif(count(*) filter (where is_eligible), 0)
            else any_value(est_pgr_high)
        end as est_pgr_high,
        any_value(ab_output_ratio) as ab_output_ratio,
        any_value(quality_basis)
            || coalesce('; A/B in logs: ' || any_value(ab_to_requests) || ' requests on '
                || to_model || ' vs ' || any_value(ab_from_requests) || ' on ' || from_model
                || ', output ratio ' || round(any_value(ab_output_ratio), 2)
                || ' (observed, replaces the assumed band), failure rate '
                || round(100 * any_value(ab_to_failure_rate), 1) || '% vs '
                || round(100 * any_value(ab_from_failure_rate), 1) || '%', '')
            || case when bool_or(is_token_ratio_unknown)
                then '; no tokenizer ratio on file between the families: 1.0 assumed'
                else '' end as quality_basis
    from candidates
    group by usage_date, team, feature, policy, from_model, to_model
)

select * from final
