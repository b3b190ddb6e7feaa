-- Grain: one row per provider x model_raw that no price row priced (requests from the logs
-- and usage-export buckets): how much usage waits for a price, when it was seen, the id the
-- engine resolved it to, the closest ids that do have prices, and the override row to fill in
-- ($LLMCOST_HOME/pricing/overrides.csv; prices left blank on purpose: never guessed).
with unpriced_requests as (
    select
        provider,
        model_raw,
        model,
        service_tier,
        unpriced_reason,
        occurred_at,
        1 as requests,
        input_tokens,
        cache_read_input_tokens,
        output_tokens
    from requests
    where not is_priced
),

unpriced_buckets as (
    select
        provider,
        model_raw,
        model,
        service_tier,
        unpriced_reason,
        bucket_start as occurred_at,
        requests,
        input_tokens,
        cache_read_input_tokens,
        output_tokens
    from usage_buckets
    where kind = 'usage' and not is_priced and model_raw is not null
),

unpriced as (
    select * from unpriced_requests
    union all
    select * from unpriced_buckets
),

grouped as (
    select
        provider,
        model_raw,
        any_value(model) as model,
        min(unpriced_reason) as unpriced_reason,
        list(distinct service_tier order by service_tier) as service_tiers,
        count(*) as records,
        sum(coalesce(requests, 0)) as requests,
        sum(input_tokens) as input_tokens,
        sum(cache_read_input_tokens) as cache_read_input_tokens,
        sum(output_tokens) as output_tokens,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from unpriced
    group by provider, model_raw
),

known_models as (
    select distinct provider, model from stg_pricing__prices
),

-- Closest priced ids: the same provider first, then by name similarity (Jaro-Winkler).
candidates as (
    select
        grouped.provider,
        grouped.model_raw,
        known_models.provider || '/' || known_models.model as known_id,
        row_number() over (
            partition by grouped.provider, grouped.model_raw
            order by
                known_models.provider = grouped.provider desc,
                jaro_winkler_similarity(known_models.model, grouped.model) desc,
                known_models.model
        ) as closeness_rank
    from grouped
    cross join known_models
    where jaro_winkler_similarity(known_models.model, grouped.model) >= 0.8
),

closest as (
    select
        provider,
        model_raw,
        list(known_id order by closeness_rank) as closest_known_ids
    from candidates
    where closeness_rank <= 3
    group by provider, model_raw
),

final as (
    select
        grouped.provider,
        grouped.model_raw,
        grouped.model as resolved_model,
        grouped.unpriced_reason,
        grouped.service_tiers,
        grouped.records,
        grouped.requests,
        grouped.input_tokens,
        grouped.cache_read_input_tokens,
        grouped.output_tokens,
        grouped.first_seen_at,
        grouped.last_seen_at,
        coalesce(closest.closest_known_ids, []::varchar[]) as closest_known_ids,
        -- price_id,provider,model,service_tier,min_input_tokens,effective_from,effective_to,
        -- then the five token prices, web search, source_url, notes: fill in the prices.
        'override/' || grouped.provider || '/' || grouped.model || '/standard/0/'
            || cast(cast(grouped.first_seen_at as date) as varchar) || ','
            || grouped.provider || ',' || grouped.model || ',standard,0,'
            || cast(cast(grouped.first_seen_at as date) as varchar)
            || ',,INPUT,CACHE_READ,CACHE_WRITE_5M,CACHE_WRITE_1H,OUTPUT,,SOURCE_URL,'
            as override_row_template
    from grouped
    left join closest
        on closest.provider = grouped.provider
        and closest.model_raw = grouped.model_raw
)

select * from final
order by requests desc, provider, model_raw
