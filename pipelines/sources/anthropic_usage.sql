-- Anthropic Admin usage report pages (GET /v1/organizations/usage_report/messages) ->
-- canonical usage_buckets (kind 'usage'). schemas/sources/anthropic_usage.schema.json.
-- A record is one page {"data": [{"starting_at", "ending_at", "results": [...]}], "has_more",
-- "next_page"}; one row per result, source_item = its position in data[].results[] flattened.
-- Times are RFC 3339 text. TRAP: uncached_input_tokens EXCLUDES cache reads and writes, so
-- the canonical (OTel) input_tokens = uncached + cache_read + 5m writes + 1h writes, and
-- cache_creation_input_tokens = 5m + 1h. The report has no request count (requests NULL).
-- Dimensions are NULL unless the export grouped by them.
WITH pages AS (
    SELECT
        source_line,
        doc,
        from_json(doc, '{"data": [{"starting_at": "VARCHAR", "ending_at": "VARCHAR",
                         "results": ["JSON"]}], "uncached_input_tokens": "JSON"}') AS page
    FROM records
),

items AS (
    SELECT
        source_line,
        CASE
            WHEN page.data IS NOT NULL THEN flatten(list_transform(page.data, lambda b: CASE
                WHEN b.results IS NOT NULL THEN list_transform(b.results,
                    lambda r: {'t0': b.starting_at, 't1': b.ending_at, 'r': r,
                               'bad': NULL::VARCHAR})
                ELSE [{'t0': b.starting_at, 't1': b.ending_at, 'r': NULL::JSON,
                       'bad': 'a bucket of data[] has no results array'}]
            END))
            WHEN page.uncached_input_tokens IS NOT NULL THEN
                [{'t0': NULL::VARCHAR, 't1': NULL::VARCHAR, 'r': doc, 'bad': NULL::VARCHAR}]
            ELSE [{'t0': NULL::VARCHAR, 't1': NULL::VARCHAR, 'r': NULL::JSON,
                   'bad': 'not an Anthropic usage report page: no data[] array of buckets'}]
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
            "uncached_input_tokens": "JSON",
            "cache_creation": {"ephemeral_1h_input_tokens": "JSON",
                               "ephemeral_5m_input_tokens": "JSON"},
            "cache_read_input_tokens": "JSON", "output_tokens": "JSON",
            "server_tool_use": {"web_search_requests": "JSON"},
            "api_key_id": "VARCHAR", "workspace_id": "VARCHAR", "model": "VARCHAR",
            "service_tier": "VARCHAR", "context_window": "VARCHAR",
            "inference_geo": "VARCHAR", "speed": "VARCHAR"
        }') AS u,
        llm_ts_zoned(t0) AS bucket_start,
        llm_ts_zoned(t1) AS bucket_end
    FROM flat
),

counts AS (
    -- Each count converted once (a JSON integer directly, anything else through llm_int); the
    -- problem checks below only look at what failed.
    SELECT
        *,
        CASE WHEN json_type(u.uncached_input_tokens) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.uncached_input_tokens AS BIGINT)
            ELSE llm_int(u.uncached_input_tokens) END AS uncached_n,
        CASE WHEN json_type(u.cache_read_input_tokens) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.cache_read_input_tokens AS BIGINT)
            ELSE llm_int(u.cache_read_input_tokens) END AS cache_read_n,
        CASE WHEN json_type(u.cache_creation.ephemeral_5m_input_tokens) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.cache_creation.ephemeral_5m_input_tokens AS BIGINT)
            ELSE llm_int(u.cache_creation.ephemeral_5m_input_tokens) END AS write_5m_n,
        CASE WHEN json_type(u.cache_creation.ephemeral_1h_input_tokens) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.cache_creation.ephemeral_1h_input_tokens AS BIGINT)
            ELSE llm_int(u.cache_creation.ephemeral_1h_input_tokens) END AS write_1h_n,
        CASE WHEN json_type(u.output_tokens) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.output_tokens AS BIGINT)
            ELSE llm_int(u.output_tokens) END AS output_n,
        CASE WHEN json_type(u.server_tool_use.web_search_requests) IN ('UBIGINT', 'BIGINT')
            THEN TRY_CAST(u.server_tool_use.web_search_requests AS BIGINT)
            ELSE llm_int(u.server_tool_use.web_search_requests) END AS web_search_n
    FROM fields
),

tokens AS (
    SELECT
        *,
        CASE WHEN write_5m_n IS NOT NULL OR write_1h_n IS NOT NULL
            THEN coalesce(write_5m_n, 0) + coalesce(write_1h_n, 0) END AS cache_write_n
    FROM counts
)

SELECT
    source_line,
    source_item,
    'usage' AS kind,
    'anthropic' AS provider,
    bucket_start,
    bucket_end,
    CASE date_diff('second', bucket_start, bucket_end)
        WHEN 86400 THEN '1d' WHEN 3600 THEN '1h' WHEN 60 THEN '1m' END AS bucket_width,
    CAST(NULL AS VARCHAR) AS organization_id,
    CAST(NULL AS VARCHAR) AS project_id,
    CAST(NULL AS VARCHAR) AS project_name,
    llm_blank_null(u.workspace_id) AS workspace_id,
    llm_blank_null(u.api_key_id) AS api_key_id,
    CAST(NULL AS VARCHAR) AS user_id,
    llm_blank_null(u.model) AS model_raw,
    CASE WHEN llm_blank_null(u.service_tier) IS NOT NULL THEN llm_tier(u.service_tier) END
        AS service_tier,
    llm_blank_null(u.context_window) AS context_window,
    -- The report, plus the (beta) group keys the canonical table has no column for: they are
    -- part of the bucket's identity.
    concat_ws(', ', 'messages', 'inference_geo=' || llm_blank_null(u.inference_geo),
              'speed=' || llm_blank_null(u.speed)) AS line_item,
    CAST(NULL AS VARCHAR) AS token_type,
    CAST(NULL AS VARCHAR) AS cost_type,
    CAST(NULL AS BIGINT) AS requests,
    -- OTel meaning: uncached + cache reads + cache writes
    uncached_n + coalesce(cache_read_n, 0) + coalesce(cache_write_n, 0) AS input_tokens,
    cache_read_n AS cache_read_input_tokens,
    cache_write_n AS cache_creation_input_tokens,
    write_1h_n AS cache_creation_1h_input_tokens,
    output_n AS output_tokens,
    web_search_n AS web_search_calls,
    CAST(NULL AS DOUBLE) AS billed_cost_usd,
    CAST(NULL AS DOUBLE) AS quantity,
    CAST(NULL AS VARCHAR) AS quantity_unit,
    CAST(r AS VARCHAR) AS usage_raw,
    CASE WHEN bad IS NOT NULL OR json_type(r) <> 'OBJECT'
            OR (t0 IS NOT NULL AND bucket_start IS NULL) OR (t1 IS NOT NULL AND bucket_end IS NULL)
            OR (u.uncached_input_tokens IS NOT NULL AND coalesce(uncached_n, -1) < 0)
            OR (u.cache_read_input_tokens IS NOT NULL AND coalesce(cache_read_n, -1) < 0)
            OR (u.cache_creation.ephemeral_5m_input_tokens IS NOT NULL
                AND coalesce(write_5m_n, -1) < 0)
            OR (u.cache_creation.ephemeral_1h_input_tokens IS NOT NULL
                AND coalesce(write_1h_n, -1) < 0)
            OR (u.output_tokens IS NOT NULL AND coalesce(output_n, -1) < 0)
            OR (u.server_tool_use.web_search_requests IS NOT NULL
                AND coalesce(web_search_n, -1) < 0)
        THEN list_filter([
            CASE WHEN bad IS NOT NULL THEN llm_problem('malformed_field', bad) END,
            CASE WHEN json_type(r) <> 'OBJECT' THEN llm_problem('malformed_field',
                'results[' || source_item || '] is ' || left(CAST(r AS VARCHAR), 40)
                || ', not an object') END,
            llm_ts_zoned_problem('starting_at', t0),
            llm_ts_zoned_problem('ending_at', t1),
            llm_int_problem('uncached_input_tokens', u.uncached_input_tokens),
            llm_int_problem('cache_read_input_tokens', u.cache_read_input_tokens),
            llm_int_problem('cache_creation.ephemeral_5m_input_tokens',
                            u.cache_creation.ephemeral_5m_input_tokens),
            llm_int_problem('cache_creation.ephemeral_1h_input_tokens',
                            u.cache_creation.ephemeral_1h_input_tokens),
            llm_int_problem('output_tokens', u.output_tokens),
            llm_int_problem('server_tool_use.web_search_requests',
                            u.server_tool_use.web_search_requests)
        ], lambda p: p IS NOT NULL)
        ELSE []
    END AS problems
FROM tokens
