-- Anthropic Console tokens export (claude_api_tokens_<period>.csv) -> canonical usage_buckets
-- (kind 'usage'). schemas/sources/anthropic_console_tokens.schema.json.
-- A record is one CSV row as a JSON object of strings, keyed by the header; columns are read by
-- name. Quirks of the real export:
-- - usage_date_utc is a day ('2026-03-31') in the monthly file and an hour
--   ('2026-03-31 02:00', UTC) in the daily file: the bucket is 1d or 1h accordingly;
-- - the token columns EXCLUDE the cache (as the Admin usage report): canonical input_tokens =
--   no_cache + cache_read + cache_write_5m + cache_write_1h;
-- - an older file lacks the cache-write columns, context_window, inference_geo and speed:
--   a missing count column is absent (NULL, so 0 in the marts), not an error;
-- - model_version is the API id; a file with a display-name 'model' column is read too;
-- - usage_type is the service tier ('standard', 'batch', 'priority');
-- - '--' is a placeholder, '≤ 200k' the base context window;
-- - the same key repeated on a day is summed: each repeat is its own bucket ('repeat N').
WITH fields AS (
    SELECT
        source_line,
        doc,
        from_json(doc, '{"usage_date_utc": "VARCHAR", "model_version": "VARCHAR",
            "model": "VARCHAR", "api_key": "VARCHAR", "api_key_id": "VARCHAR",
            "workspace": "VARCHAR", "usage_type": "VARCHAR", "context_window": "VARCHAR",
            "usage_input_tokens_no_cache": "VARCHAR",
            "usage_input_tokens_cache_write_5m": "VARCHAR",
            "usage_input_tokens_cache_write_1h": "VARCHAR",
            "usage_input_tokens_cache_read": "VARCHAR", "usage_output_tokens": "VARCHAR",
            "web_search_count": "VARCHAR", "inference_geo": "VARCHAR",
            "speed": "VARCHAR"}') AS c,
        list_filter(['usage_date_utc', 'usage_input_tokens_no_cache', 'usage_output_tokens'],
                    lambda k: NOT json_exists(doc, '$."' || k || '"'))
            || CASE WHEN json_exists(doc, '$.model_version') OR json_exists(doc, '$.model')
                    THEN [] ELSE ['model_version'] END AS lacking
    FROM records
),

cleaned AS (
    SELECT
        source_line,
        doc,
        lacking,
        trim(c.usage_date_utc) AS day_text,
        coalesce(llm_console_value(c.model_version),
                 llm_console_value(c.model)) AS model,
        llm_console_value(c.workspace) AS workspace,
        coalesce(llm_console_value(c.api_key_id),
                 llm_console_value(c.api_key)) AS api_key,
        lower(llm_console_value(c.usage_type)) AS usage_type,
        llm_console_value(c.context_window) AS context_window,
        llm_console_value(c.inference_geo) AS inference_geo,
        llm_console_value(c.speed) AS speed,
        -- {column, text}: a count as written ('--' and blanks are no value)
        [{'k': 'usage_input_tokens_no_cache', 'v': c.usage_input_tokens_no_cache},
         {'k': 'usage_input_tokens_cache_read', 'v': c.usage_input_tokens_cache_read},
         {'k': 'usage_input_tokens_cache_write_5m', 'v': c.usage_input_tokens_cache_write_5m},
         {'k': 'usage_input_tokens_cache_write_1h', 'v': c.usage_input_tokens_cache_write_1h},
         {'k': 'usage_output_tokens', 'v': c.usage_output_tokens},
         {'k': 'web_search_count', 'v': c.web_search_count}] AS counts_text
    FROM fields
),

counts AS (
    SELECT
        *,
        list_transform(counts_text, lambda x: {'k': x.k,
            't': llm_console_value(x.v),
            -- whole numbers only: TRY_CAST('12.5' AS BIGINT) would round it to 13
            'n': CASE WHEN regexp_full_match(trim(x.v), '[0-9]{1,18}')
                      THEN CAST(trim(x.v) AS BIGINT) END}) AS n
    FROM cleaned
),

parsed AS (
    SELECT
        *,
        n[1].n AS no_cache_n,
        n[2].n AS cache_read_n,
        n[3].n AS write_5m_n,
        n[4].n AS write_1h_n,
        n[5].n AS output_n,
        n[6].n AS web_search_n,
        list_filter(n, lambda x: x.t IS NOT NULL AND x.n IS NULL) AS bad_counts,
        timezone('UTC', TRY_CAST(day_text AS TIMESTAMP)) AS bucket_start,
        CASE WHEN length(day_text) > 10 THEN INTERVAL 1 HOUR ELSE INTERVAL 1 DAY END AS width,
        row_number() OVER (
            PARTITION BY day_text, model, workspace, api_key, usage_type, context_window,
                inference_geo, speed
            ORDER BY source_line) AS repeat_no
    FROM counts
)

SELECT
    source_line,
    0 AS source_item,
    'usage' AS kind,
    'anthropic' AS provider,
    bucket_start,
    bucket_start + width AS bucket_end,
    CASE WHEN width = INTERVAL 1 HOUR THEN '1h' ELSE '1d' END AS bucket_width,
    CAST(NULL AS VARCHAR) AS organization_id,
    CAST(NULL AS VARCHAR) AS project_id,
    CAST(NULL AS VARCHAR) AS project_name,
    workspace AS workspace_id,
    api_key AS api_key_id,
    CAST(NULL AS VARCHAR) AS user_id,
    model AS model_raw,
    CASE WHEN usage_type IS NOT NULL THEN llm_tier(usage_type) END AS service_tier,
    CASE
        WHEN context_window IS NULL THEN NULL
        WHEN regexp_matches(context_window, '^\s*(≤|<=|<)') THEN '0-200k'
        WHEN regexp_matches(context_window, '^\s*(>|≥)') THEN '200k-1M'
        ELSE context_window
    END AS context_window,
    nullif(concat_ws(', ', 'inference_geo=' || inference_geo, 'speed=' || speed,
                     CASE WHEN repeat_no > 1 THEN 'repeat ' || repeat_no END), '') AS line_item,
    CAST(NULL AS VARCHAR) AS token_type,
    CAST(NULL AS VARCHAR) AS cost_type,
    CAST(NULL AS BIGINT) AS requests,
    -- OTel meaning: the export's columns exclude the cache, so add reads and writes back
    no_cache_n + coalesce(cache_read_n, 0) + coalesce(write_5m_n, 0) + coalesce(write_1h_n, 0)
        AS input_tokens,
    cache_read_n AS cache_read_input_tokens,
    CASE WHEN write_5m_n IS NOT NULL OR write_1h_n IS NOT NULL
        THEN coalesce(write_5m_n, 0) + coalesce(write_1h_n, 0) END AS cache_creation_input_tokens,
    write_1h_n AS cache_creation_1h_input_tokens,
    output_n AS output_tokens,
    web_search_n AS web_search_calls,
    CAST(NULL AS DOUBLE) AS billed_cost_usd,
    CAST(NULL AS DOUBLE) AS quantity,
    CAST(NULL AS VARCHAR) AS quantity_unit,
    CAST(doc AS VARCHAR) AS usage_raw,
    list_filter([
        CASE WHEN len(lacking) > 0 THEN llm_problem('missing_field',
            'the Console tokens export header lacks: ' || array_to_string(lacking, ', ')) END,
        CASE WHEN len(lacking) = 0 AND bucket_start IS NULL THEN llm_problem('bad_timestamp',
            'usage_date_utc ' || coalesce(left(day_text, 40), 'is empty')
            || CASE WHEN day_text IS NOT NULL THEN ' is not a UTC date or hour' ELSE '' END) END,
        CASE WHEN len(bad_counts) > 0 THEN llm_problem('invalid_tokens',
            array_to_string(list_transform(bad_counts,
                lambda x: x.k || ' is ' || left(x.t, 30)), '; ')
            || ': not a whole number of tokens') END
    ], lambda p: p IS NOT NULL) AS problems
FROM parsed
