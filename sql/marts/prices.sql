-- Grain: one row per price row (price_id) from every price file, with its closed validity
-- window; requests.price_id points here.
with prices as (
    select * from stg_pricing__prices
),

final as (
    select
        price_id,
        price_source,
        priority,
        provider,
        model,
        service_tier,
        min_input_tokens,
        effective_from,
        effective_to,
        input_usd_per_mtok,
        cache_read_usd_per_mtok,
        cache_write_5m_usd_per_mtok,
        cache_write_1h_usd_per_mtok,
        output_usd_per_mtok,
        web_search_usd_per_call,
        source_url,
        price_file
    from prices
)

select * from final
