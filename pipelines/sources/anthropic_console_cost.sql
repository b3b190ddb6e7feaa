-- Anthropic Console cost export (claude_api_cost_<from>_to_<to>.csv) -> canonical usage_buckets
-- (kind 'cost'). schemas/sources/anthropic_console_cost.schema.json.
-- A record is one CSV row as a JSON object of strings, keyed by the header: columns are read by
-- name, never by position (the order changed when list_price_usd, api_key_id and
-- api_key_status were added). Quirks of the real export:
-- - '--' is a placeholder for "no value" (the web-search row has no model or token type);
-- - model is the Console's display name ("Claude Haiku 4.5"): kept as model_raw and resolved
--   to the model id by pricing/model_display_names.csv at build time;
-- - context_window is written with U+2264 ("≤ 200k"): mapped to the Admin API's '0-200k' /
--   '200k-1M' so both exports mean the same tier;
-- - cost_usd is in DOLLARS with 2 decimals (the Admin cost report is in cents);
-- - the same key can appear twice on a day (two rows of input_cache_write_5m): both are spend,
--   so each repeat gets its own bucket ('repeat N' in line_item) and the marts sum them;
-- - api_key is the key's name; the newer export adds api_key_id, which wins when present.
-- A row whose header lacks a required column is quarantined naming the columns.
WITH fields AS (
    SELECT
        source_line,
        doc,
        from_json(doc, '{"usage_date_utc": "VARCHAR", "model": "VARCHAR",
            "workspace": "VARCHAR", "api_key": "VARCHAR", "usage_type": "VARCHAR",
            "context_window": "VARCHAR", "token_type": "VARCHAR", "cost_usd": "VARCHAR",
            "list_price_usd": "VARCHAR", "cost_type": "VARCHAR", "inference_geo": "VARCHAR",
            "speed": "VARCHAR", "api_key_id": "VARCHAR"}') AS c,
        list_filter(['usage_date_utc', 'model', 'workspace', 'api_key', 'token_type',
                     'cost_usd', 'cost_type'],
                    lambda k: NOT json_exists(doc, '$."' || k || '"')) AS lacking
    FROM records
),

cleaned AS (
    SELECT
        source_line,
        doc,
        lacking,
        trim(c.usage_date_utc) AS day_text,
        llm_console_value(c.model) AS model,
        llm_console_value(c.workspace) AS workspace,
        coalesce(llm_console_value(c.api_key_id),
                 llm_console_value(c.api_key)) AS api_key,
        lower(llm_console_value(c.usage_type)) AS usage_type,
        llm_console_value(c.context_window) AS context_window,
        lower(llm_console_value(c.token_type)) AS token_type,
        llm_console_value(c.cost_usd) AS cost_text,
        lower(llm_console_value(c.cost_type)) AS cost_type,
        llm_console_value(c.inference_geo) AS inference_geo,
        llm_console_value(c.speed) AS speed
    FROM fields
),

parsed AS (
    SELECT
        *,
        timezone('UTC', TRY_CAST(day_text AS TIMESTAMP)) AS bucket_start,
        CASE WHEN length(day_text) > 10 THEN INTERVAL 1 HOUR ELSE INTERVAL 1 DAY END AS width,
        TRY_CAST(cost_text AS DECIMAL(18, 6)) AS cost_usd,
        row_number() OVER (
            PARTITION BY day_text, model, workspace, api_key, usage_type, context_window,
                token_type, cost_type, inference_geo, speed
            ORDER BY source_line) AS repeat_no
    FROM cleaned
)

SELECT
    source_line,
    0 AS source_item,
    'cost' AS kind,
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
    CASE
        WHEN usage_type IS NULL THEN NULL
        WHEN usage_type IN ('message', 'messages', 'standard') THEN 'standard'
        WHEN usage_type IN ('batch', 'message_batch', 'batch_message') THEN 'batch'
        ELSE llm_tier(usage_type)
    END AS service_tier,
    CASE
        WHEN context_window IS NULL THEN NULL
        WHEN regexp_matches(context_window, '^\s*(≤|<=|<)') THEN '0-200k'
        WHEN regexp_matches(context_window, '^\s*(>|≥)') THEN '200k-1M'
        ELSE context_window
    END AS context_window,
    nullif(concat_ws(', ', 'inference_geo=' || inference_geo, 'speed=' || speed,
                     CASE WHEN repeat_no > 1 THEN 'repeat ' || repeat_no END), '') AS line_item,
    CASE token_type
        WHEN 'input_no_cache' THEN 'input'
        WHEN 'input_cache_read' THEN 'cache_read'
        WHEN 'input_cache_write_5m' THEN 'cache_write_5m'
        WHEN 'input_cache_write_1h' THEN 'cache_write_1h'
        ELSE token_type
    END AS token_type,
    -- 'token' here, 'tokens' in the Admin cost report: one spelling in the lake
    CASE WHEN cost_type = 'token' THEN 'tokens' ELSE cost_type END AS cost_type,
    CAST(NULL AS BIGINT) AS requests,
    CAST(NULL AS BIGINT) AS input_tokens,
    CAST(NULL AS BIGINT) AS cache_read_input_tokens,
    CAST(NULL AS BIGINT) AS cache_creation_input_tokens,
    CAST(NULL AS BIGINT) AS cache_creation_1h_input_tokens,
    CAST(NULL AS BIGINT) AS output_tokens,
    CAST(NULL AS BIGINT) AS web_search_calls,
    CAST(cost_usd AS DOUBLE) AS billed_cost_usd,
    CAST(NULL AS DOUBLE) AS quantity,
    CAST(NULL AS VARCHAR) AS quantity_unit,
    CAST(doc AS VARCHAR) AS usage_raw,
    list_filter([
        CASE WHEN len(lacking) > 0 THEN llm_problem('missing_field',
            'the Console cost export header lacks: ' || array_to_string(lacking, ', ')) END,
        CASE WHEN len(lacking) = 0 AND bucket_start IS NULL THEN llm_problem('bad_timestamp',
            'usage_date_utc ' || coalesce(left(day_text, 40), 'is empty')
            || CASE WHEN day_text IS NOT NULL THEN ' is not a UTC date' ELSE '' END) END,
        CASE WHEN cost_text IS NOT NULL AND cost_usd IS NULL THEN llm_problem('invalid_number',
            'cost_usd is ' || left(cost_text, 40) || ', not a number of dollars') END
    ], lambda p: p IS NOT NULL) AS problems
FROM parsed
