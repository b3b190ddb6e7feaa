-- The one price row in effect for each subject: same provider, canonical model and service
-- tier; priced_at inside the row's validity window; the highest long-context threshold the
-- subject's input exceeds. Between price sources, override beats curated beats imported
-- (priority). Grain: subject_key; no row -> unpriced, and the flags say why.
with subjects as (
    select * from int_cost_subjects__models_resolved
),

prices as (
    select * from stg_pricing__prices
),

candidates as (
    select
        subjects.subject_key,
        prices.*,
        row_number() over (
            partition by subjects.subject_key
            order by prices.priority, prices.min_input_tokens desc, prices.effective_from desc
        ) as candidate_rank
    from subjects
    inner join prices
        on prices.provider = subjects.provider
        and prices.model = subjects.model
        and prices.service_tier = subjects.service_tier
        and subjects.priced_at >= prices.effective_from_at
        and (prices.effective_to_at is null or subjects.priced_at < prices.effective_to_at)
        and (prices.min_input_tokens = 0 or subjects.tier_input_tokens > prices.min_input_tokens)
),

known_models as (
    select distinct provider, model from prices
),

known_tiers as (
    select distinct provider, model, service_tier from prices
),

final as (
    select
        subjects.subject_key,
        subjects.model,
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
                then 'no price for model ' || subjects.provider || '/' || subjects.model
            when known_tiers.model is null
                then 'no ' || subjects.service_tier || '-tier price for ' || subjects.provider
                    || '/' || subjects.model
            else 'no price for ' || subjects.provider || '/' || subjects.model || ' ('
                || subjects.service_tier || ') effective on '
                || cast(cast(subjects.priced_at as date) as varchar)
        end as no_price_reason
    from subjects
    left join (select * from candidates where candidate_rank = 1) as chosen
        on chosen.subject_key = subjects.subject_key
    left join known_models
        on known_models.provider = subjects.provider
        and known_models.model = subjects.model
    left join known_tiers
        on known_tiers.provider = subjects.provider
        and known_tiers.model = subjects.model
        and known_tiers.service_tier = subjects.service_tier
)

select * from final
