-- Each request priced by the price row matched for its price key (int_price_keys__matched),
-- with the attribution rules filling what the log did not say. A gateway cache hit bills
-- nothing; no matching price row -> unpriced, with the reason, never $0.
with requests as (
    select * from stg_lake__requests
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
    select * from int_cost_subjects__attributed where request_id is not null
),

keyed as (
    select
        requests.*,
        model_ids.model,
        llm_tier_floor(thresholds.thresholds, requests.input_tokens) as tier_floor
    from requests
    inner join model_ids
        on model_ids.model_raw = requests.model_raw
    cross join thresholds
),

joined as (
    select
        keyed.* exclude (team, feature, environment, tier_floor),
        coalesce(keyed.team, rule_attribution.rule_team) as team,
        coalesce(keyed.feature, rule_attribution.rule_feature) as feature,
        coalesce(keyed.environment, rule_attribution.rule_environment) as environment,
        price_keys.price_id,
        price_keys.price_source,
        price_keys.input_usd_per_token,
        price_keys.cache_read_usd_per_token,
        price_keys.cache_write_5m_usd_per_token,
        price_keys.cache_write_1h_usd_per_token,
        price_keys.output_usd_per_token,
        price_keys.web_search_usd_per_call,
        price_keys.no_price_reason
    from keyed
    inner join price_keys
        on price_keys.provider = keyed.provider
        and price_keys.model = keyed.model
        and price_keys.service_tier = keyed.service_tier
        and price_keys.priced_date = keyed.usage_date
        and price_keys.tier_floor = keyed.tier_floor
    left join rule_attribution
        on rule_attribution.source = keyed.source
        and rule_attribution.request_id = keyed.request_id
),

costed as (
    select
        *,
        input_tokens - cache_read_input_tokens - cache_creation_input_tokens
            as uncached_input_tokens,
        cache_creation_input_tokens - cache_creation_1h_input_tokens
            as cache_creation_5m_input_tokens,
        -- A gateway cache hit never reached the provider: it is billed nothing.
        case when is_gateway_cache_hit then 0 else llm_token_cost(
            input_tokens - cache_read_input_tokens - cache_creation_input_tokens,
            input_usd_per_token)
        end as input_cost_usd,
        case when is_gateway_cache_hit then 0 else
            llm_token_cost(cache_read_input_tokens, cache_read_usd_per_token)
        end as cache_read_cost_usd,
        case when is_gateway_cache_hit then 0 else
            llm_token_cost(cache_creation_input_tokens - cache_creation_1h_input_tokens,
                           cache_write_5m_usd_per_token)
            + llm_token_cost(cache_creation_1h_input_tokens, cache_write_1h_usd_per_token)
        end as cache_write_cost_usd,
        case when is_gateway_cache_hit then 0 else
            llm_token_cost(output_tokens, output_usd_per_token)
        end as output_cost_usd,
        case when is_gateway_cache_hit then 0 else
            llm_token_cost(web_search_calls, coalesce(web_search_usd_per_call, 0))
        end as tool_cost_usd,
        -- The biller's own statement is the price (OpenRouter): it wins over price rows.
        billed_cost_usd is not null and not is_gateway_cache_hit as is_billed,
        case
            when is_gateway_cache_hit then null
            when billed_cost_usd is not null then null
            when no_price_reason is not null then no_price_reason
            when web_search_calls > 0 and web_search_usd_per_call is null
                then 'no per-call web search price for ' || provider || '/' || model
        end as unpriced_reason
    from joined
),

final as (
    select
        * exclude (no_price_reason, is_billed, price_id, price_source, input_cost_usd,
                   cache_read_cost_usd, cache_write_cost_usd, output_cost_usd, tool_cost_usd),
        case when not is_billed then price_id end as price_id,
        case when is_billed then 'billed' else price_source end as price_source,
        case when not is_billed then input_cost_usd end as input_cost_usd,
        case when not is_billed then cache_read_cost_usd end as cache_read_cost_usd,
        case when not is_billed then cache_write_cost_usd end as cache_write_cost_usd,
        case when not is_billed then output_cost_usd end as output_cost_usd,
        case when not is_billed then tool_cost_usd end as tool_cost_usd,
        unpriced_reason is null as is_priced,
        case
            when is_billed then cast(billed_cost_usd as decimal(38, 12))
            when unpriced_reason is null then
                cast(input_cost_usd + cache_read_cost_usd + cache_write_cost_usd + output_cost_usd
                    + tool_cost_usd as decimal(38, 12))
        end as cost_usd
    from costed
)

select * from final
