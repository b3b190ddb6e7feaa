-- Canonical request rows from the lake, for the partitions being built.
-- `lake_requests` is bound by the build runner to the committed Parquet files in scope.
with source as (
    select * from lake_requests
),

final as (
    select
        source,
        request_id,
        occurred_at,
        cast(usage_date as date) as usage_date,
        ended_at,
        latency_ms,
        provider,
        model_raw,
        service_tier,
        status,
        coalesce(is_gateway_cache_hit, false) as is_gateway_cache_hit,
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
        cache_read_input_tokens,
        cache_creation_input_tokens,
        cache_creation_1h_input_tokens,
        output_tokens,
        reasoning_output_tokens,
        web_search_calls,
        reported_cost_usd,
        billed_cost_usd,
        usage_raw,
        source_file,
        source_line,
        source_item,
        file_sha256,
        ingested_at,
        -- Prompt fingerprints (pipelines/fingerprint.py); NULL when the source logs no prompt.
        prompt_hash,
        parameters_hash,
        system_prompt_hash,
        prefix_hash,
        last_user_hash,
        response_hash,
        prompt_segments,
        prompt_tokens_counted,
        system_prompt_tokens,
        tools_tokens,
        prefix_tokens,
        last_user_tokens,
        message_count,
        temperature,
        is_streaming,
        has_tools,
        has_tool_calls,
        tokenizer,
        embedder,
        prompt_text
    from source
)

select * from final
