-- Everything that gets an attribution, requests and export buckets alike, with the fields the
-- rules match on. Grain: subject_key (source/request_id, or bucket_id).
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
        request_id,
        source,
        provider,
        model_raw,
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
        cast(null as varchar) as request_id,
        source,
        provider,
        model_raw,
        api_key_id,
        cast(null as varchar) as api_key_hash,
        project_id,
        workspace_id,
        user_id,
        cast(map() as map(varchar, varchar)) as tags
    from buckets
)

select * from subjects
