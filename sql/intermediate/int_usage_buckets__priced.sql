-- Export buckets with their cost: a usage bucket is priced like requests (same price rows, same
-- rules), a cost bucket carries what the provider billed. Attribution comes from the rules
-- (exports know only keys, projects and workspaces).
with buckets as (
    select * from stg_lake__usage_buckets
),

model_ids as (
    select * from int_model_ids__resolved
),

thresholds as (
    select * from int_price_thresholds
),

price_keys as (
    select * from int_price_keys__matched
),

rule_attribution as (
    select * from int_cost_subjects__attributed
),

keyed as (
    select
        buckets.*,
        model_ids.model,
        llm_bucket_tier_floor(thresholds.thresholds, buckets.context_window) as tier_floor
    from buckets
    left join model_ids
        on model_ids.model_raw = buckets.model_raw
    cross join thresholds
),

joined as (
    select
        keyed.* exclude (tier_floor),
        rule_attribution.rule_team as team,
        rule_attribution.rule_feature as feature,
        rule_attribution.rule_environment as environment,
        price_keys.price_id,
        price_keys.input_usd_per_token,
        price_keys.cache_read_usd_per_token,
        price_keys.cache_write_5m_usd_per_token,
        price_keys.cache_write_1h_usd_per_token,
        price_keys.output_usd_per_token,
        price_keys.web_search_usd_per_call,
        case when price_keys.provider is null then 'no model in the export row'
             else price_keys.no_price_reason end as no_price_reason
    from keyed
    left join price_keys
        on price_keys.provider = keyed.provider
        and price_keys.model = keyed.model
        and price_keys.service_tier = keyed.service_tier
        and price_keys.priced_date = keyed.usage_date
        and price_keys.tier_floor = keyed.tier_floor
    left join rule_attribution
        on rule_attribution.subject_key = keyed.bucket_id
),

final as (
    select
        * exclude (input_usd_per_token, cache_read_usd_per_token, cache_write_5m_usd_per_token,
                   cache_write_1h_usd_per_token, output_usd_per_token, web_search_usd_per_call,
                   no_price_reason),
        case
            when kind = 'cost' then billed_cost_usd
            when no_price_reason is null then cast(
                llm_token_cost(input_tokens - cache_read_input_tokens - cache_creation_input_tokens,
                               input_usd_per_token)
                + llm_token_cost(cache_read_input_tokens, cache_read_usd_per_token)
                + llm_token_cost(cache_creation_input_tokens - cache_creation_1h_input_tokens,
                                 cache_write_5m_usd_per_token)
                + llm_token_cost(cache_creation_1h_input_tokens, cache_write_1h_usd_per_token)
                + llm_token_cost(output_tokens, output_usd_per_token)
                + llm_token_cost(web_search_calls, coalesce(web_search_usd_per_call, 0))
                as decimal(38, 12))
        end as cost_usd,
        case when kind = 'usage' then no_price_reason end as unpriced_reason,
        kind = 'cost' or no_price_reason is null as is_priced
    from joined
)

select * from final
