-- OpenAI Organization Usage API pages -> canonical usage_buckets (kind 'usage').
-- A record is one page {"object": "page", "data": [{"object": "bucket", "start_time",
-- "end_time", "results": [...]}], "has_more", "next_page"}
-- (schemas/sources/openai_usage.schema.json);
-- one row per result, source_item = its position in data[].results[] flattened. A bare result
-- object (a grouped example cut out of its page) is read too, and quarantined for its missing
-- bucket times. Times are unix seconds. input_tokens already INCLUDES cached and cache-write
-- tokens (the OTel meaning); input_cached_tokens / input_cache_write_tokens are subsets. The
-- breakdown fields changed meaning across spec versions, so a missing one stays NULL and no
-- sum is ever assumed. Non-token endpoints keep requests and put their unit into quantity.
WITH pages AS (
    -- The page is parsed once; each result stays JSON text (usage_raw) for its own parse.
    SELECT
        source_line,
        doc,
        from_json(doc, '{"object": "VARCHAR", "data": [{"start_time": "JSON", "end_time": "JSON",
                         "results": ["JSON"]}]}') AS page
    FROM records
),

items AS (
    SELECT
        source_line,
        CASE
            WHEN page.data IS NOT NULL THEN flatten(list_transform(page.data, lambda b: CASE
                WHEN b.results IS NOT NULL THEN list_transform(b.results,
                    lambda r: {'t0': b.start_time, 't1': b.end_time, 'r': r, 'bad': NULL::VARCHAR})
                ELSE [{'t0': b.start_time, 't1': b.end_time, 'r': NULL::JSON,
                       'bad': 'a bucket of data[] has no results array'}]
            END))
            WHEN starts_with(page.object, 'organization.usage.') THEN
                [{'t0': NULL::JSON, 't1': NULL::JSON, 'r': doc, 'bad': NULL::VARCHAR}]
            ELSE [{'t0': NULL::JSON, 't1': NULL::JSON, 'r': NULL::JSON,
                   'bad': 'not an OpenAI usage page: no data[] array of buckets'}]
        END AS items
    FROM pages
),

flat AS (
    SELECT
        source_line,
        unnest(list_transform(items, lambda it, i: struct_insert(it, item := i - 1)),
               recursive := true)
    FROM items
),

fields AS (
    SELECT
        source_line,
        item AS source_item,
        t0,
        t1,
        r,
        bad,
        from_json(r, '{
            "object": "VARCHAR",
            "input_tokens": "JSON", "input_cached_tokens": "JSON",
            "input_cache_write_tokens": "JSON", "output_tokens": "JSON",
            "num_model_requests": "JSON", "num_requests": "JSON",
            "images": "JSON", "characters": "JSON", "seconds": "JSON",
            "usage_bytes": "JSON", "num_sessions": "JSON",
            "project_id": "VARCHAR", "user_id": "VARCHAR", "api_key_id": "VARCHAR",
            "model": "VARCHAR", "batch": "VARCHAR", "service_tier": "VARCHAR",
            "size": "VARCHAR", "source": "VARCHAR", "context_level": "VARCHAR",
            "vector_store_id": "VARCHAR", "api_source": "VARCHAR"
        }') AS u,
        CASE WHEN json_type(t0) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(t0 AS BIGINT)
            ELSE llm_int(t0) END AS t0_s,
        CASE WHEN json_type(t1) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(t1 AS BIGINT)
            ELSE llm_int(t1) END AS t1_s
    FROM flat
),

counts AS (
    -- Each count converted once (a JSON integer directly, anything else through llm_int); the
    -- problem checks below only look at what failed.
    SELECT
        *,
        -- 'organization.usage.<endpoint>.result' -> '<endpoint>'
        CASE WHEN starts_with(u.object, 'organization.usage.') AND ends_with(u.object, '.result')
            THEN u.object[20:-8] END AS endpoint,
        CASE WHEN json_type(u.input_tokens) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.input_tokens AS BIGINT)
            ELSE llm_int(u.input_tokens) END AS input_n,
        CASE WHEN json_type(u.input_cached_tokens) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.input_cached_tokens AS BIGINT)
            ELSE llm_int(u.input_cached_tokens) END AS cached_n,
        CASE WHEN json_type(u.input_cache_write_tokens) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.input_cache_write_tokens AS BIGINT)
            ELSE llm_int(u.input_cache_write_tokens) END AS cache_write_n,
        CASE WHEN json_type(u.output_tokens) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.output_tokens AS BIGINT)
            ELSE llm_int(u.output_tokens) END AS output_n,
        CASE WHEN json_type(u.num_model_requests) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.num_model_requests AS BIGINT)
            ELSE llm_int(u.num_model_requests) END AS requests_n,
        CASE WHEN json_type(u.num_requests) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.num_requests AS BIGINT)
            ELSE llm_int(u.num_requests) END AS calls_n,
        -- Non-token endpoints: what they count, and how much (at most one is present).
        CASE
            WHEN u.images IS NOT NULL THEN 'images'
            WHEN u.characters IS NOT NULL THEN 'characters'
            WHEN u.seconds IS NOT NULL THEN 'seconds'
            WHEN u.usage_bytes IS NOT NULL THEN 'bytes'
            WHEN u.num_sessions IS NOT NULL THEN 'sessions'
            WHEN u.object = 'organization.usage.file_searches.result' AND u.num_requests IS NOT NULL
                THEN 'file_search_calls'
        END AS unit,
        coalesce(u.images, u.characters, u.seconds, u.usage_bytes, u.num_sessions,
                 CASE WHEN u.object = 'organization.usage.file_searches.result'
                      THEN u.num_requests END) AS quantity_j,
        CASE WHEN abs(t0_s) < 100000000000 THEN to_timestamp(t0_s) END AS bucket_start,
        CASE WHEN abs(t1_s) < 100000000000 THEN to_timestamp(t1_s) END AS bucket_end
    FROM fields
)

SELECT
    source_line,
    source_item,
    'usage' AS kind,
    'openai' AS provider,
    bucket_start,
    bucket_end,
    CASE date_diff('second', bucket_start, bucket_end)
        WHEN 86400 THEN '1d' WHEN 3600 THEN '1h' WHEN 60 THEN '1m' END AS bucket_width,
    CAST(NULL AS VARCHAR) AS organization_id,
    llm_blank_null(u.project_id) AS project_id,
    CAST(NULL AS VARCHAR) AS project_name,
    CAST(NULL AS VARCHAR) AS workspace_id,
    llm_blank_null(u.api_key_id) AS api_key_id,
    llm_blank_null(u.user_id) AS user_id,
    llm_blank_null(u.model) AS model_raw,
    -- batch=true is the Batch API; otherwise the tier only when grouped by it (NULL = not said).
    CASE
        WHEN lower(u.batch) = 'true' THEN 'batch'
        WHEN llm_blank_null(u.service_tier) IS NOT NULL THEN llm_tier(u.service_tier)
    END AS service_tier,
    CAST(NULL AS VARCHAR) AS context_window,
    -- The endpoint, plus the group keys the canonical table has no column for: they are part
    -- of the bucket's identity (two image sizes in one bucket are two buckets).
    CASE
        WHEN u.size IS NULL AND u.source IS NULL AND u.context_level IS NULL
            AND u.vector_store_id IS NULL AND u.api_source IS NULL THEN nullif(endpoint, '')
        ELSE nullif(concat_ws(', ', endpoint,
            'size=' || llm_blank_null(u.size), 'source=' || llm_blank_null(u.source),
            'context_level=' || llm_blank_null(u.context_level),
            'vector_store_id=' || llm_blank_null(u.vector_store_id),
            'api_source=' || llm_blank_null(u.api_source)), '')
    END AS line_item,
    CAST(NULL AS VARCHAR) AS token_type,
    CAST(NULL AS VARCHAR) AS cost_type,
    requests_n AS requests,
    input_n AS input_tokens,
    cached_n AS cache_read_input_tokens,
    cache_write_n AS cache_creation_input_tokens,
    CAST(NULL AS BIGINT) AS cache_creation_1h_input_tokens,
    output_n AS output_tokens,
    CASE WHEN u.object = 'organization.usage.web_searches.result' THEN calls_n END
        AS web_search_calls,
    CAST(NULL AS DOUBLE) AS billed_cost_usd,
    llm_num(quantity_j) AS quantity,
    unit AS quantity_unit,
    CAST(r AS VARCHAR) AS usage_raw,
    CASE WHEN bad IS NOT NULL OR json_type(r) <> 'OBJECT'
            OR (t0 IS NOT NULL AND bucket_start IS NULL) OR (t1 IS NOT NULL AND bucket_end IS NULL)
            OR (u.input_tokens IS NOT NULL AND coalesce(input_n, -1) < 0)
            OR (u.input_cached_tokens IS NOT NULL AND coalesce(cached_n, -1) < 0)
            OR (u.input_cache_write_tokens IS NOT NULL AND coalesce(cache_write_n, -1) < 0)
            OR (u.output_tokens IS NOT NULL AND coalesce(output_n, -1) < 0)
            OR (u.num_model_requests IS NOT NULL AND coalesce(requests_n, -1) < 0)
            OR (u.num_requests IS NOT NULL AND coalesce(calls_n, -1) < 0)
            OR (quantity_j IS NOT NULL AND llm_num(quantity_j) IS NULL)
        THEN list_filter([
            CASE WHEN bad IS NOT NULL THEN llm_problem('malformed_field', bad) END,
            CASE WHEN json_type(r) <> 'OBJECT' THEN llm_problem('malformed_field',
                'results[' || source_item || '] is ' || left(CAST(r AS VARCHAR), 40)
                || ', not an object') END,
            CASE WHEN t0 IS NOT NULL AND bucket_start IS NULL THEN llm_problem('bad_timestamp',
                'start_time ' || left(CAST(t0 AS VARCHAR), 40) || ' is not unix seconds') END,
            CASE WHEN t1 IS NOT NULL AND bucket_end IS NULL THEN llm_problem('bad_timestamp',
                'end_time ' || left(CAST(t1 AS VARCHAR), 40) || ' is not unix seconds') END,
            llm_int_problem('input_tokens', u.input_tokens),
            llm_int_problem('input_cached_tokens', u.input_cached_tokens),
            llm_int_problem('input_cache_write_tokens', u.input_cache_write_tokens),
            llm_int_problem('output_tokens', u.output_tokens),
            llm_int_problem('num_model_requests', u.num_model_requests),
            llm_int_problem('num_requests', u.num_requests),
            llm_num_problem(unit, quantity_j)
        ], lambda p: p IS NOT NULL)
        ELSE []
    END AS problems
FROM counts
