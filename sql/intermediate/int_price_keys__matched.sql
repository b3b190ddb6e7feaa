-- The one price row in effect per price key (provider, canonical model, service tier, UTC day,
-- tier floor): same provider, model and tier; the day inside the row's validity window (price
-- windows are whole UTC days); the highest long-context threshold the input exceeds. Between
-- price sources, override beats curated beats imported (priority). Matching distinct keys, not
-- every request, keeps pricing a small join however many requests there are.
-- Grain: price key; no row -> unpriced, and no_price_reason says why.
with thresholds as (
    select * from int_price_thresholds
),

model_ids as (
    select * from int_model_ids__resolved
),

request_keys as (
    select distinct
        requests.provider,
        model_ids.model,
        requests.service_tier,
        requests.usage_date as priced_date,
        llm_tier_floor(thresholds.thresholds, requests.input_tokens) as tier_floor
    from stg_lake__requests as requests
    cross join thresholds
    inner join model_ids
        on model_ids.model_raw = requests.model_raw
),

bucket_keys as (
    select distinct
        buckets.provider,
        model_ids.model,
        buckets.service_tier,
        buckets.usage_date as priced_date,
        llm_bucket_tier_floor(thresholds.thresholds, buckets.context_window) as tier_floor
    from stg_lake__usage_buckets as buckets
    cross join thresholds
    inner join model_ids
        on model_ids.model_raw = buckets.model_raw
),

price_keys as (
    select * from request_keys
    union
    select * from bucket_keys
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
        prices.* exclude (provider, model, service_tier),
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
        chosen.price_source,
        chosen.input_usd_per_token,
        chosen.cache_read_usd_per_token,
        chosen.cache_write_5m_usd_per_token,
        chosen.cache_write_1h_usd_per_token,
        chosen.output_usd_per_token,
        chosen.web_search_usd_per_call,
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
