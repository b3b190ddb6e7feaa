-- Anthropic Admin cost report pages (GET /v1/organizations/cost_report) -> canonical
-- usage_buckets (kind 'cost'). schemas/sources/anthropic_costs.schema.json.
-- A record is one page {"data": [{"starting_at", "ending_at", "results": [{"amount",
-- "currency", "cost_type", "token_type", "description", "model", "service_tier",
-- "context_window", "workspace_id", ...}]}], "has_more", "next_page"}; one row per result,
-- source_item = its position in data[].results[] flattened. Times are RFC 3339 text.
-- TRAP: amount is a DECIMAL STRING IN CENTS ("123.45" = $1.2345): billed_cost_usd = amount / 100,
-- computed in DECIMAL so the cents string converts exactly. Only USD is accepted.
-- token_type names the token class the row bills, in the usage report's field names
-- (uncached_input_tokens, cache_creation.ephemeral_5m_input_tokens, ...): mapped to input,
-- output, cache_read, cache_write_5m, cache_write_1h. description is kept as line_item.
WITH pages AS (
    SELECT
        source_line,
        doc,
        from_json(doc, '{"data": [{"starting_at": "VARCHAR", "ending_at": "VARCHAR",
                         "results": ["JSON"]}], "amount": "JSON"}') AS page
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
            WHEN page.amount IS NOT NULL THEN
                [{'t0': NULL::VARCHAR, 't1': NULL::VARCHAR, 'r': doc, 'bad': NULL::VARCHAR}]
            ELSE [{'t0': NULL::VARCHAR, 't1': NULL::VARCHAR, 'r': NULL::JSON,
                   'bad': 'not an Anthropic cost report page: no data[] array of buckets'}]
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
            "amount": "JSON", "currency": "VARCHAR", "cost_type": "VARCHAR",
            "token_type": "VARCHAR", "description": "VARCHAR", "model": "VARCHAR",
            "service_tier": "VARCHAR", "context_window": "VARCHAR", "workspace_id": "VARCHAR",
            "inference_geo": "VARCHAR", "speed": "VARCHAR"
        }') AS c,
        llm_ts_zoned(t0) AS bucket_start,
        llm_ts_zoned(t1) AS bucket_end
    FROM flat
),

money AS (
    SELECT
        *,
        -- cents, as a decimal string (a JSON number is taken too); DECIMAL keeps "123.45" exact
        TRY_CAST(trim(c.amount ->> '$') AS DECIMAL(36, 10)) AS cents,
        llm_blank_null(c.currency) AS currency
    FROM fields
)

SELECT
    source_line,
    source_item,
    'cost' AS kind,
    'anthropic' AS provider,
    bucket_start,
    bucket_end,
    CASE date_diff('second', bucket_start, bucket_end)
        WHEN 86400 THEN '1d' WHEN 3600 THEN '1h' WHEN 60 THEN '1m' END AS bucket_width,
    CAST(NULL AS VARCHAR) AS organization_id,
    CAST(NULL AS VARCHAR) AS project_id,
    CAST(NULL AS VARCHAR) AS project_name,
    llm_blank_null(c.workspace_id) AS workspace_id,
    CAST(NULL AS VARCHAR) AS api_key_id,
    CAST(NULL AS VARCHAR) AS user_id,
    llm_blank_null(c.model) AS model_raw,
    CASE WHEN llm_blank_null(c.service_tier) IS NOT NULL THEN llm_tier(c.service_tier) END
        AS service_tier,
    llm_blank_null(c.context_window) AS context_window,
    -- The description as written, plus the (beta) group keys the canonical table has no
    -- column for: they are part of the bucket's identity.
    nullif(concat_ws(', ', llm_blank_null(c.description),
        'inference_geo=' || llm_blank_null(c.inference_geo),
        'speed=' || llm_blank_null(c.speed)), '') AS line_item,
    CASE c.token_type
        WHEN 'uncached_input_tokens' THEN 'input'
        WHEN 'output_tokens' THEN 'output'
        WHEN 'cache_read_input_tokens' THEN 'cache_read'
        WHEN 'cache_creation.ephemeral_5m_input_tokens' THEN 'cache_write_5m'
        WHEN 'cache_creation.ephemeral_1h_input_tokens' THEN 'cache_write_1h'
        ELSE llm_blank_null(c.token_type)
    END AS token_type,
    llm_blank_null(c.cost_type) AS cost_type,
    CAST(NULL AS BIGINT) AS requests,
    CAST(NULL AS BIGINT) AS input_tokens,
    CAST(NULL AS BIGINT) AS cache_read_input_tokens,
    CAST(NULL AS BIGINT) AS cache_creation_input_tokens,
    CAST(NULL AS BIGINT) AS cache_creation_1h_input_tokens,
    CAST(NULL AS BIGINT) AS output_tokens,
    CAST(NULL AS BIGINT) AS web_search_calls,
    -- cents -> USD in DECIMAL (exact), then the nearest double ("99.999" -> 0.99999); a
    -- non-USD row is quarantined by its unsupported_currency problem
    CAST(CAST(cents * CAST(0.01 AS DECIMAL(3, 2)) AS VARCHAR) AS DOUBLE) AS billed_cost_usd,
    CAST(NULL AS DOUBLE) AS quantity,
    CAST(NULL AS VARCHAR) AS quantity_unit,
    CAST(r AS VARCHAR) AS usage_raw,
    list_filter([
        CASE WHEN bad IS NOT NULL THEN llm_problem('malformed_field', bad) END,
        CASE WHEN json_type(r) <> 'OBJECT' THEN llm_problem('malformed_field',
            'results[' || source_item || '] is ' || left(CAST(r AS VARCHAR), 40)
            || ', not an object') END,
        CASE WHEN currency IS NOT NULL AND upper(currency) <> 'USD' THEN
            llm_problem('unsupported_currency',
                'amount is in ' || left(currency, 20) || '; only USD amounts are supported') END,
        llm_ts_zoned_problem('starting_at', t0),
        llm_ts_zoned_problem('ending_at', t1),
        CASE WHEN c.amount IS NOT NULL AND cents IS NULL THEN llm_problem('invalid_number',
            'amount is ' || left(CAST(c.amount AS VARCHAR), 40)
            || ', not a decimal number of cents') END
    ], lambda p: p IS NOT NULL) AS problems
FROM money
