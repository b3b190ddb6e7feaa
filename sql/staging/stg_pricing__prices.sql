-- Price rows from every price file, with their validity window closed.
-- A row without effective_to lasts until the next row of the same source, provider, model,
-- tier and context threshold: adding a row with a later effective_from is a price change.
-- A bulk import (genai_prices, litellm: priority >= 2) prices only a (provider, model, tier)
-- that no higher-priority source lists: curated launch dates are never back-filled by an import.
with source as (
    select * from pricing_rows
),

listed as (
    select provider, model, service_tier, min(priority) as top_priority
    from source
    group by all
),

kept as (
    select source.*
    from source
    inner join listed
        on listed.provider = source.provider
        and listed.model = source.model
        and listed.service_tier = source.service_tier
    where source.priority < 2 or source.priority = listed.top_priority
),

windowed as (
    select
        *,
        coalesce(
            effective_to,
            lead(effective_from) over (
                partition by price_source, provider, model, service_tier, min_input_tokens
                order by effective_from
            )
        ) as effective_until
    from kept
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
        effective_until as effective_to,
        cast(effective_from as timestamptz) as effective_from_at,
        cast(effective_until as timestamptz) as effective_to_at,
        input_usd_per_mtok,
        cache_read_usd_per_mtok,
        cache_write_5m_usd_per_mtok,
        cache_write_1h_usd_per_mtok,
        output_usd_per_mtok,
        web_search_usd_per_call,
        -- Exact per-token prices: DECIMAL * DECIMAL keeps scale, a division would go to DOUBLE.
        input_usd_per_mtok * 0.000001 as input_usd_per_token,
        cache_read_usd_per_mtok * 0.000001 as cache_read_usd_per_token,
        cache_write_5m_usd_per_mtok * 0.000001 as cache_write_5m_usd_per_token,
        cache_write_1h_usd_per_mtok * 0.000001 as cache_write_1h_usd_per_token,
        output_usd_per_mtok * 0.000001 as output_usd_per_token,
        source_url,
        price_file
    from windowed
)

select * from final
