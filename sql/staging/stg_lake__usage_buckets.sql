-- Provider usage and cost export buckets, one row per bucket: when the same bucket (natural
-- key bucket_id) was exported again with new numbers, the latest ingest supersedes the older.
-- A day exported both whole and by the hour (the Console's monthly tokens file has daily rows,
-- its daily file hourly ones) is the same spend twice: where a source has a whole-day bucket
-- for a day, workspace, key, model and kind, its narrower buckets of that day are dropped.
with source as (
    select * from lake_usage_buckets
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by bucket_id order by ingested_at desc, source_file desc, source_line desc
    ) = 1
),

widest as (
    select *
    from latest
    qualify bucket_width = '1d' or not bool_or(bucket_width = '1d') over (
        partition by source, kind, provider, cast(usage_date as date), workspace_id,
            api_key_id, project_id, model_raw
    )
),

final as (
    select
        bucket_id,
        bucket_version_id,
        source,
        kind,
        provider,
        bucket_start,
        bucket_end,
        cast(usage_date as date) as usage_date,
        bucket_width,
        organization_id,
        project_id,
        project_name,
        workspace_id,
        api_key_id,
        user_id,
        model_raw,
        coalesce(service_tier, 'standard') as service_tier,
        context_window,
        line_item,
        token_type,
        cost_type,
        requests,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(cache_read_input_tokens, 0) as cache_read_input_tokens,
        coalesce(cache_creation_input_tokens, 0) as cache_creation_input_tokens,
        coalesce(cache_creation_1h_input_tokens, 0) as cache_creation_1h_input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        coalesce(web_search_calls, 0) as web_search_calls,
        cast(billed_cost_usd as decimal(38, 12)) as billed_cost_usd,
        quantity,
        quantity_unit,
        usage_raw,
        source_file,
        source_line,
        source_item,
        file_sha256,
        ingested_at
    from widest
)

select * from final
