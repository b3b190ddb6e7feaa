-- Shared tail of every usage/cost export adapter: natural and version keys, lineage, the checks
-- every bucket gets. Reads the temp view `adapter_output` (one chunk of export records).
WITH keyed AS (
    SELECT
        *,
        md5(concat_ws('|', $source, kind, provider, CAST(bucket_start AS VARCHAR),
            CAST(bucket_end AS VARCHAR), organization_id, project_id, workspace_id, api_key_id,
            user_id, model_raw, service_tier, context_window, line_item, token_type, cost_type))
            AS natural_key
    FROM adapter_output
)

SELECT
    natural_key AS bucket_id,
    md5(concat_ws('|', natural_key, requests, input_tokens, cache_read_input_tokens,
        cache_creation_input_tokens, cache_creation_1h_input_tokens, output_tokens,
        web_search_calls, billed_cost_usd, quantity)) AS bucket_version_id,
    $source AS source,
    kind,
    provider,
    bucket_start,
    bucket_end,
    CAST(bucket_start AS DATE) AS usage_date,
    bucket_width,
    organization_id,
    project_id,
    project_name,
    workspace_id,
    api_key_id,
    user_id,
    model_raw,
    service_tier,
    context_window,
    line_item,
    token_type,
    cost_type,
    requests,
    input_tokens,
    cache_read_input_tokens,
    cache_creation_input_tokens,
    cache_creation_1h_input_tokens,
    output_tokens,
    web_search_calls,
    billed_cost_usd,
    quantity,
    quantity_unit,
    usage_raw,
    $source_file AS source_file,
    source_line,
    coalesce(source_item, 0) AS source_item,
    $file_sha256 AS file_sha256,
    CAST($ingested_at AS TIMESTAMPTZ) AS ingested_at,
    list_concat(problems, list_filter([
        CASE WHEN bucket_start IS NULL AND len(list_filter(problems, lambda p: p.code IN
                ('bad_timestamp', 'naive_timestamp'))) = 0
            THEN llm_problem('missing_field', 'no bucket start time') END,
        CASE WHEN bucket_end IS NULL AND len(list_filter(problems, lambda p: p.code IN
                ('bad_timestamp', 'naive_timestamp'))) = 0
            THEN llm_problem('missing_field', 'no bucket end time') END,
        CASE WHEN bucket_end <= bucket_start
            THEN llm_problem('bad_timestamp', 'bucket ends before it starts') END,
        CASE WHEN kind = 'usage' AND input_tokens IS NULL AND output_tokens IS NULL
                AND requests IS NULL AND quantity IS NULL AND web_search_calls IS NULL
                AND len(list_filter(problems, lambda p: p.code = 'invalid_tokens')) = 0
            THEN llm_problem('missing_field', 'usage bucket without token or request counts') END,
        CASE WHEN kind = 'cost' AND billed_cost_usd IS NULL
                AND len(list_filter(problems, lambda p: p.code = 'invalid_number')) = 0
            THEN llm_problem('missing_field', 'cost bucket without an amount') END,
        CASE WHEN NOT list_contains(list_transform(problems, lambda p: p.code), 'invalid_tokens')
                AND coalesce(cache_read_input_tokens, 0) + coalesce(cache_creation_input_tokens, 0)
                    > input_tokens
            THEN llm_problem('inconsistent_tokens', 'cache reads + writes exceed input tokens') END
    ], lambda p: p IS NOT NULL)) AS problems
FROM keyed
