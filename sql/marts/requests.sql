-- Grain: one row per LLM request (source x request_id), priced.
-- Token columns follow OpenTelemetry GenAI: input_tokens includes cache reads and writes,
-- output_tokens includes reasoning. cost_usd is NULL when is_priced is false (see
-- unpriced_reason): an unknown price is never counted as $0.
with priced as (
    select * from int_requests__priced
),

final as (
    select
        request_id,
        source,
        occurred_at,
        usage_date,
        ended_at,
        latency_ms,
        provider,
        model,
        model_raw,
        service_tier,
        status,
        is_gateway_cache_hit,
        api_surface,
        team,
        feature,
        environment,
        project,
        session_id,
        trace_id,
        user_id,
        api_key_hash,
        tags,
        input_tokens,
        uncached_input_tokens,
        cache_read_input_tokens,
        cache_creation_input_tokens,
        cache_creation_5m_input_tokens,
        cache_creation_1h_input_tokens,
        output_tokens,
        reasoning_output_tokens,
        web_search_calls,
        cast(input_cost_usd as decimal(38, 12)) as input_cost_usd,
        cast(cache_read_cost_usd as decimal(38, 12)) as cache_read_cost_usd,
        cast(cache_write_cost_usd as decimal(38, 12)) as cache_write_cost_usd,
        cast(output_cost_usd as decimal(38, 12)) as output_cost_usd,
        cast(tool_cost_usd as decimal(38, 12)) as tool_cost_usd,
        cost_usd,
        reported_cost_usd,
        billed_cost_usd,
        is_priced,
        unpriced_reason,
        price_id,
        price_source,
        usage_raw,
        source_file,
        source_line,
        source_item,
        file_sha256,
        ingested_at
    from priced
)

select * from final
