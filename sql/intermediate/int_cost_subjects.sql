-- Everything that gets a price and an attribution, requests and export buckets alike, with the
-- fields prices and rules match on. Grain: subject_key (source/request_id, or bucket_id).
with requests as (
    select * from stg_lake__requests
),

buckets as (
    select * from stg_lake__usage_buckets
),

subjects as (
    select
        'request' as subject_kind,
        source || '/' || request_id as subject_key,
        source,
        provider,
        model_raw,
        service_tier,
        occurred_at as priced_at,
        input_tokens as tier_input_tokens,
        cast(null as varchar) as api_key_id,
        api_key_hash,
        project as project_id,
        cast(null as varchar) as workspace_id,
        user_id,
        tags
    from requests
    union all by name
    select
        'bucket' as subject_kind,
        bucket_id as subject_key,
        source,
        provider,
        model_raw,
        service_tier,
        bucket_start as priced_at,
        -- An aggregate has no per-request size: Anthropic says which context tier the bucket
        -- is; anything else is priced at the base tier (documented approximation).
        case when context_window = '200k-1M' then 200001 else 0 end as tier_input_tokens,
        api_key_id,
        cast(null as varchar) as api_key_hash,
        project_id,
        workspace_id,
        user_id,
        cast(map() as map(varchar, varchar)) as tags
    from buckets
)

select * from subjects
