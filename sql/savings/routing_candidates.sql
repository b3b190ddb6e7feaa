-- Every request a routing policy claims (the first policy that matches it, in routing_matched)
-- x each model it could be switched to (routing_arms), re-priced at the target: the same
-- logged tokens at the target's price row in force on the request's day and tier
-- (routing_target_prices), input and output scaled by the tokenizer ratio between the two
-- families, output by output_length_ratio (low, point, high; the A/B ratio where the logs have
-- one), the provider prompt cache lost ($cold_cache: uncached | write_5m | warm).
-- Grain: request x policy x target model.
with matched as (
    select * from routing_matched
),

arms as (
    select * from routing_arms
),

thresholds as (
    select * from int_price_thresholds
),

limits as (
    select
        *,
        coalesce(effective_to, lead(effective_from) over (
            partition by provider, model order by effective_from)) as effective_until
    from routing_model_limits
),

ratios as (
    select
        *,
        coalesce(effective_to, lead(effective_from) over (
            partition by from_family, to_family order by effective_from)) as effective_until
    from routing_tokenizer_ratios
),

switched as (
    select
        matched.*,
        arms.policy,
        arms.kind,
        arms.to_model_id as to_model,
        arms.to_provider,
        arms.to_model as to_model_name,
        arms.weight_share,
        arms.strong_share,
        arms.est_pgr,
        arms.est_pgr_low,
        arms.est_pgr_high,
        arms.quality_basis,
        llm_tier_floor(thresholds.thresholds, matched.input_tokens) as tier_floor
    from matched
    inner join arms
        on arms.policy_index = matched.policy_index
    cross join thresholds
    -- A weighted arm that keeps the request's own model routes nothing.
    where not (arms.kind = 'weighted' and arms.to_model_id = matched.from_model)
),

families as (
    select
        switched.*,
        source_limits.tokenizer_family as from_family,
        target_limits.tokenizer_family as to_family,
        target_limits.context_window_tokens as to_context_window_tokens
    from switched
    left join limits as source_limits
        on source_limits.provider = switched.provider
        and source_limits.model = switched.model
        and switched.usage_date >= source_limits.effective_from
        and (source_limits.effective_until is null
             or switched.usage_date < source_limits.effective_until)
    left join limits as target_limits
        on target_limits.provider = switched.to_provider
        and target_limits.model = switched.to_model_name
        and switched.usage_date >= target_limits.effective_from
        and (target_limits.effective_until is null
             or switched.usage_date < target_limits.effective_until)
),

ratioed as (
    select
        families.*,
        -- Same family (or a family not on file): the same text is the same number of tokens.
        case when families.from_family = families.to_family then 1.0
            else coalesce(ratios.ratio_low, 1.0) end as token_ratio_low,
        case when families.from_family = families.to_family then 1.0
            else coalesce(ratios.ratio, 1.0) end as token_ratio,
        case when families.from_family = families.to_family then 1.0
            else coalesce(ratios.ratio_high, 1.0) end as token_ratio_high,
        families.from_family is not null and families.to_family is not null
            and families.from_family <> families.to_family and ratios.ratio is null
            as is_token_ratio_unknown,
        ab.output_ratio as ab_output_ratio,
        ab.from_requests as ab_from_requests,
        ab.to_requests as ab_to_requests,
        ab.from_failure_rate as ab_from_failure_rate,
        ab.to_failure_rate as ab_to_failure_rate,
        prices.price_id as to_price_id,
        prices.input_usd_per_token as p_input,
        coalesce(prices.cache_read_usd_per_token, prices.input_usd_per_token) as p_cache_read,
        coalesce(prices.cache_write_5m_usd_per_token, prices.input_usd_per_token)
            as p_cache_write_5m,
        coalesce(prices.cache_write_1h_usd_per_token, prices.cache_write_5m_usd_per_token,
                 prices.input_usd_per_token) as p_cache_write_1h,
        prices.output_usd_per_token as p_output,
        prices.no_price_reason as to_unpriced_reason
    from families
    left join ratios
        on ratios.from_family = families.from_family
        and ratios.to_family = families.to_family
        and families.usage_date >= ratios.effective_from
        and (ratios.effective_until is null or families.usage_date < ratios.effective_until)
    left join routing_ab as ab
        on ab.team = families.team
        and ab.feature = families.feature
        and ab.from_model = families.from_model
        and ab.to_model = families.to_model
    left join routing_target_prices as prices
        on prices.provider = families.to_provider
        and prices.model = families.to_model_name
        and prices.service_tier = families.service_tier
        and prices.priced_date = families.usage_date
        and prices.tier_floor = families.tier_floor
),

bands as (
    select
        ratioed.*,
        -- Output length: observed in the logs' A/B traffic (already in the target's tokens),
        -- else the assumed band times the tokenizer ratio.
        coalesce(ab_output_ratio, $len_low * token_ratio_low) as output_scale_low,
        coalesce(ab_output_ratio, $len_point * token_ratio) as output_scale,
        coalesce(ab_output_ratio, $len_high * token_ratio_high) as output_scale_high,
        case $cold_cache
            when 'uncached' then input_tokens * p_input
            when 'warm' then uncached_input_tokens * p_input
                + cache_read_input_tokens * p_cache_read
                + cache_creation_5m_input_tokens * p_cache_write_5m
                + cache_creation_1h_input_tokens * p_cache_write_1h
            else uncached_input_tokens * p_input
                + (cache_read_input_tokens + cache_creation_5m_input_tokens) * p_cache_write_5m
                + cache_creation_1h_input_tokens * p_cache_write_1h
        end as input_cost_per_ratio
    from ratioed
),

costed as (
    select
        bands.*,
        input_tokens * token_ratio + output_tokens * output_scale as to_total_tokens,
        cast(input_cost_per_ratio as double) * token_ratio_low
            + output_tokens * output_scale_low * cast(p_output as double)
            + tool_cost_usd as to_cost_usd_low,
        cast(input_cost_per_ratio as double) * token_ratio
            + output_tokens * output_scale * cast(p_output as double)
            + tool_cost_usd as to_cost_usd,
        cast(input_cost_per_ratio as double) * token_ratio_high
            + output_tokens * output_scale_high * cast(p_output as double)
            + tool_cost_usd as to_cost_usd_high,
        input_tokens * $fee_usd_per_token as fee_usd
    from bands
),

eligible as (
    select
        costed.*,
        case
            when status <> 'success' then 'failed'
            when is_gateway_cache_hit then 'gateway_cache_hit'
            when not is_priced then 'unpriced'
            when to_model = from_model then 'already_on_target'
            when to_unpriced_reason is not null then 'target_unpriced'
            when to_context_window_tokens < to_total_tokens then 'context_window'
        end as ineligible_reason
    from costed
),

sorted_scores as (
    select
        policy,
        any_value(strong_share) as strong_share,
        list_sort(list(score) filter (where ineligible_reason is null)) as scores
    from eligible
    where kind = 'classifier'
    group by policy
),

score_positions as (
    -- quantile_cont(score, 1 - strong_share) per policy (DuckDB wants a constant quantile):
    -- linear interpolation between the two sorted scores around (1 - share) (n - 1).
    select
        policy,
        strong_share,
        scores,
        (1 - strong_share) * (len(scores) - 1) as position
    from sorted_scores
),

policy_thresholds as (
    select
        policy,
        case
            when strong_share = 0 or len(scores) = 0 then 'Infinity'::double
            else scores[floor(position)::bigint + 1]
                + (position - floor(position))
                * (scores[least(floor(position)::bigint + 2, len(scores))]
                   - scores[floor(position)::bigint + 1])
        end as score_threshold
    from score_positions
),

thresholded as (
    -- A classifier keeps the top strong_share of its own eligible traffic, by score, on the
    -- strong model (score >= threshold goes strong, as in RouteLLM).
    select
        eligible.*,
        policy_thresholds.score_threshold
    from eligible
    left join policy_thresholds
        on policy_thresholds.policy = eligible.policy
),

final as (
    select
        source,
        request_id,
        usage_date,
        team,
        feature,
        policy,
        kind,
        from_model,
        to_model,
        to_price_id,
        service_tier,
        input_tokens,
        output_tokens,
        score,
        score_threshold,
        ineligible_reason is null as is_eligible,
        ineligible_reason,
        to_unpriced_reason,
        case
            when ineligible_reason is not null then 0.0
            when kind = 'rule' then 1.0
            when kind = 'weighted' then weight_share
            when score < score_threshold then 1.0
            else 0.0
        end as route_weight,
        strong_share,
        cost_usd_actual,
        to_cost_usd_low,
        to_cost_usd,
        to_cost_usd_high,
        case when ineligible_reason is null then fee_usd else 0.0 end as fee_usd,
        token_ratio,
        is_token_ratio_unknown,
        ab_output_ratio,
        ab_from_requests,
        ab_to_requests,
        ab_from_failure_rate,
        ab_to_failure_rate,
        est_pgr,
        est_pgr_low,
        est_pgr_high,
        quality_basis
    from thresholded
)

select * from final
