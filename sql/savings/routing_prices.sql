-- The price row a routed request would be billed at: the same choice rule as
-- int_price_keys__matched (same provider, model and tier; the day inside the row's window; the
-- highest long-context threshold the input exceeds; priority between price sources), applied
-- to the target's keys (routing_price_keys: the target's provider/model, the request's tier,
-- day and tier floor). tests/test_routing_prices.py checks both agree on the same keys.
-- Grain: price key; no row -> the target is unpriced, and no_price_reason says why.
with price_keys as (
    select * from routing_price_keys
),

prices as (
    select * from stg_pricing__prices
),

candidates as (
    select
        price_keys.provider,
        price_keys.model,
        price_keys.service_tier,
        price_keys.priced_date,
        price_keys.tier_floor,
        prices.price_id,
        prices.input_usd_per_token,
        prices.cache_read_usd_per_token,
        prices.cache_write_5m_usd_per_token,
        prices.cache_write_1h_usd_per_token,
        prices.output_usd_per_token,
        row_number() over (
            partition by price_keys.provider, price_keys.model, price_keys.service_tier,
                price_keys.priced_date, price_keys.tier_floor
            order by prices.priority, prices.min_input_tokens desc, prices.effective_from desc
        ) as candidate_rank
    from price_keys
    inner join prices
        on prices.provider = price_keys.provider
        and prices.model = price_keys.model
        and prices.service_tier = price_keys.service_tier
        and price_keys.priced_date >= prices.effective_from
        and (prices.effective_to is null or price_keys.priced_date < prices.effective_to)
        and price_keys.tier_floor >= prices.min_input_tokens
),

known_models as (
    select distinct provider, model from prices
),

known_tiers as (
    select distinct provider, model, service_tier from prices
),

final as (
    select
        price_keys.*,
        chosen.price_id,
        chosen.input_usd_per_token,
        chosen.cache_read_usd_per_token,
        chosen.cache_write_5m_usd_per_token,
        chosen.cache_write_1h_usd_per_token,
        chosen.output_usd_per_token,
        case
            when chosen.price_id is not null then null
            when known_models.model is null
                then 'no price for model ' || price_keys.provider || '/' || price_keys.model
            when known_tiers.model is null
                then 'no ' || price_keys.service_tier || '-tier price for '
                    || price_keys.provider || '/' || price_keys.model
            else 'no price for ' || price_keys.provider || '/' || price_keys.model || ' ('
                || price_keys.service_tier || ') effective on '
                || cast(price_keys.priced_date as varchar)
        end as no_price_reason
    from price_keys
    left join (select * from candidates where candidate_rank = 1) as chosen
        on chosen.provider = price_keys.provider
        and chosen.model = price_keys.model
        and chosen.service_tier = price_keys.service_tier
        and chosen.priced_date = price_keys.priced_date
        and chosen.tier_floor = price_keys.tier_floor
    left join known_models
        on known_models.provider = price_keys.provider
        and known_models.model = price_keys.model
    left join known_tiers
        on known_tiers.provider = price_keys.provider
        and known_tiers.model = price_keys.model
        and known_tiers.service_tier = price_keys.service_tier
)

select * from final
