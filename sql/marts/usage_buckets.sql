-- Grain: one row per export bucket (bucket_id): bucket window x the dimensions the export was
-- grouped by (project / workspace / api key / model / tier / line item). kind 'usage' rows are
-- priced from their tokens (cost_usd; NULL when unpriced); kind 'cost' rows carry what the
-- provider billed (cost_usd = billed_cost_usd). Never add usage and cost rows together: they
-- describe the same spend twice.
with priced as (
    select * from int_usage_buckets__priced
),

final as (
    select
        bucket_id,
        source,
        kind,
        provider,
        bucket_start,
        bucket_end,
        usage_date,
        bucket_width,
        organization_id,
        project_id,
        project_name,
        workspace_id,
        api_key_id,
        user_id,
        model,
        model_raw,
        service_tier,
        context_window,
        line_item,
        token_type,
        cost_type,
        coalesce(team, 'unattributed') as team,
        coalesce(feature, 'unattributed') as feature,
        coalesce(environment, 'unattributed') as environment,
        requests,
        input_tokens,
        cache_read_input_tokens,
        cache_creation_input_tokens,
        cache_creation_1h_input_tokens,
        output_tokens,
        web_search_calls,
        billed_cost_usd,
        cost_usd,
        is_priced,
        unpriced_reason,
        price_id,
        quantity,
        quantity_unit,
        source_file,
        source_line,
        source_item,
        ingested_at
    from priced
)

select * from final
