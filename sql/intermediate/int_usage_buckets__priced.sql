-- Export buckets with their cost: a usage bucket is priced like requests (same price rows, same
-- rules), a cost bucket carries what the provider billed. Attribution comes from the rules
-- (exports know only keys, projects and workspaces).
with buckets as (
    select * from stg_lake__usage_buckets
),

price_matches as (
    select * from int_cost_subjects__price_matched
),

rule_attribution as (
    select * from int_cost_subjects__attributed
),

joined as (
    select
        buckets.*,
        rule_attribution.rule_team as team,
        rule_attribution.rule_feature as feature,
        rule_attribution.rule_environment as environment,
        price_matches.model,
        price_matches.price_id,
        price_matches.input_usd_per_token,
        price_matches.cache_read_usd_per_token,
        price_matches.cache_write_5m_usd_per_token,
        price_matches.cache_write_1h_usd_per_token,
        price_matches.output_usd_per_token,
        price_matches.web_search_usd_per_call,
        price_matches.no_price_reason
    from buckets
    inner join price_matches
        on price_matches.subject_key = buckets.bucket_id
    left join rule_attribution
        on rule_attribution.subject_key = buckets.bucket_id
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
