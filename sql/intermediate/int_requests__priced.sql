-- Each request priced by the one price row in effect for it: same provider, canonical model
-- and service tier; occurred_at inside the row's validity window; the highest long-context
-- threshold the request's input exceeds. Between price sources, override beats curated beats
-- imported (priority). No matching row -> unpriced, with the reason, never $0.
with requests as (
    select * from int_requests__models_resolved
),

prices as (
    select * from stg_pricing__prices
),

candidates as (
    select
        requests.source,
        requests.request_id,
        prices.*,
        row_number() over (
            partition by requests.source, requests.request_id
            order by prices.priority, prices.min_input_tokens desc, prices.effective_from desc
        ) as candidate_rank
    from requests
    inner join prices
        on prices.provider = requests.provider
        and prices.model = requests.model
        and prices.service_tier = requests.service_tier
        and requests.occurred_at >= prices.effective_from_at
        and (prices.effective_to_at is null or requests.occurred_at < prices.effective_to_at)
        and (prices.min_input_tokens = 0 or requests.input_tokens > prices.min_input_tokens)
),

chosen as (
    select * from candidates where candidate_rank = 1
),

known_models as (
    select distinct provider, model from prices
),

known_tiers as (
    select distinct provider, model, service_tier from prices
),

joined as (
    select
        requests.*,
        chosen.price_id,
        chosen.price_source,
        chosen.input_usd_per_token,
        chosen.cache_read_usd_per_token,
        chosen.cache_write_5m_usd_per_token,
        chosen.cache_write_1h_usd_per_token,
        chosen.output_usd_per_token,
        chosen.web_search_usd_per_call,
        known_models.model is not null as is_model_known,
        known_tiers.model is not null as is_tier_known
    from requests
    left join chosen
        on chosen.source = requests.source
        and chosen.request_id = requests.request_id
    left join known_models
        on known_models.provider = requests.provider
        and known_models.model = requests.model
    left join known_tiers
        on known_tiers.provider = requests.provider
        and known_tiers.model = requests.model
        and known_tiers.service_tier = requests.service_tier
),

costed as (
    select
        *,
        input_tokens - cache_read_input_tokens - cache_creation_input_tokens
            as uncached_input_tokens,
        cache_creation_input_tokens - cache_creation_1h_input_tokens
            as cache_creation_5m_input_tokens,
        -- A gateway cache hit never reached the provider: it is billed nothing.
        case when is_gateway_cache_hit then 0 else
            cast(input_tokens - cache_read_input_tokens - cache_creation_input_tokens
                 as decimal(18, 0)) * input_usd_per_token
        end as input_cost_usd,
        case when is_gateway_cache_hit then 0 else
            cast(cache_read_input_tokens as decimal(18, 0)) * cache_read_usd_per_token
        end as cache_read_cost_usd,
        case when is_gateway_cache_hit then 0 else
            cast(cache_creation_input_tokens - cache_creation_1h_input_tokens as decimal(18, 0))
                * cache_write_5m_usd_per_token
            + cast(cache_creation_1h_input_tokens as decimal(18, 0)) * cache_write_1h_usd_per_token
        end as cache_write_cost_usd,
        case when is_gateway_cache_hit then 0 else
            cast(output_tokens as decimal(18, 0)) * output_usd_per_token
        end as output_cost_usd,
        case when is_gateway_cache_hit then 0 else
            cast(web_search_calls as decimal(18, 0)) * coalesce(web_search_usd_per_call, 0)
        end as tool_cost_usd,
        case
            when is_gateway_cache_hit
                then null
            when price_id is null and not is_model_known
                then 'no price for model ' || provider || '/' || model
            when price_id is null and not is_tier_known
                then 'no ' || service_tier || '-tier price for ' || provider || '/' || model
            when price_id is null
                then 'no price for ' || provider || '/' || model || ' (' || service_tier
                    || ') effective on ' || cast(usage_date as varchar)
            when web_search_calls > 0 and web_search_usd_per_call is null
                then 'no per-call web search price for ' || provider || '/' || model
        end as unpriced_reason
    from joined
),

final as (
    select
        * exclude (is_model_known, is_tier_known),
        unpriced_reason is null as is_priced,
        case when unpriced_reason is null then
            cast(input_cost_usd + cache_read_cost_usd + cache_write_cost_usd + output_cost_usd
                + tool_cost_usd as decimal(38, 12))
        end as cost_usd
    from costed
)

select * from final
