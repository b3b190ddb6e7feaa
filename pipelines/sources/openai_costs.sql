-- OpenAI Costs API pages and the dashboard's cost CSV export -> canonical usage_buckets
-- (kind 'cost'). schemas/sources/openai_costs.schema.json.
-- - API page: {"object": "page", "data": [{"start_time", "end_time", "results": [
--   {"object": "organization.costs.result", "amount": {"value": 0.06, "currency": "usd"},
--   "line_item", "project_id", "api_key_id", "quantity", "quantity_unit"}]}]}; one row per result,
--   source_item = its position in data[].results[] flattened. amount.value is in currency UNITS
--   (dollars), not cents. A bare result (cut out of its page) is quarantined for its times.
-- - CSV export row (columns documented only by a third party): start_time, end_time (unix
--   seconds), amount_value, amount_currency, line_item, project_id, organization_id,
--   project_name, organization_name; it arrives as a JSON object of strings, source_item 0.
-- line_item is free text: "[<tier> | ]<model>[ <modality>], <token class>[, long context]"
-- (e.g. "gpt-4o-2024-08-06, cached input", "priority | gpt-5.4, output") or a tool line
-- ("web search tool calls"); it is kept whole, and the model, token class and tier are read
-- out of it when they are there. Only USD is accepted: other currencies are quarantined.
WITH pages AS (
    SELECT
        source_line,
        doc,
        from_json(doc, '{"object": "VARCHAR", "data": [{"start_time": "JSON", "end_time": "JSON",
                         "results": ["JSON"]}], "start_time": "JSON", "end_time": "JSON",
                         "amount_value": "JSON", "line_item": "JSON"}') AS page
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
            WHEN page.object = 'organization.costs.result' THEN
                [{'t0': NULL::JSON, 't1': NULL::JSON, 'r': doc, 'bad': NULL::VARCHAR}]
            -- a CSV row: the row is the result and carries its own window
            WHEN page.amount_value IS NOT NULL OR page.line_item IS NOT NULL
                OR page.start_time IS NOT NULL THEN
                [{'t0': page.start_time, 't1': page.end_time, 'r': doc, 'bad': NULL::VARCHAR}]
            ELSE [{'t0': NULL::JSON, 't1': NULL::JSON, 'r': NULL::JSON,
                   'bad': 'not an OpenAI costs page (no data[] array) nor a cost CSV row'}]
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
            "amount": {"value": "JSON", "currency": "VARCHAR"},
            "amount_value": "JSON", "amount_currency": "VARCHAR",
            "line_item": "VARCHAR", "project_id": "VARCHAR", "api_key_id": "VARCHAR",
            "organization_id": "VARCHAR", "project_name": "VARCHAR",
            "quantity": "JSON", "quantity_unit": "VARCHAR"
        }') AS c
    FROM flat
),

parsed AS (
    SELECT
        *,
        -- a blank CSV cell is no value, not a bad one
        CASE WHEN trim(coalesce(c.amount.value, c.amount_value) ->> '$') <> ''
             THEN coalesce(c.amount.value, c.amount_value) END AS amount_j,
        CASE WHEN trim(c.quantity ->> '$') <> '' THEN c.quantity END AS quantity_j,
        llm_blank_null(coalesce(c.amount.currency, c.amount_currency)) AS currency,
        llm_blank_null(c.line_item) AS line_item,
        -- "<tier> | " prefix (priority processing), then "<head>, <class>[, long context]"
        regexp_extract(c.line_item, '^([A-Za-z_]+) \| ', 1) AS tier_prefix,
        regexp_replace(c.line_item, '^[A-Za-z_]+ \| ', '') AS line_rest,
        -- unix seconds (numbers or digit strings); the CSV may also hold a date or timestamp
        CASE WHEN abs(llm_int(t0)) < 100000000000 THEN to_timestamp(llm_int(t0))
             WHEN json_type(t0) = 'VARCHAR' THEN llm_ts_utc(t0) END AS bucket_start,
        CASE WHEN abs(llm_int(t1)) < 100000000000 THEN to_timestamp(llm_int(t1))
             WHEN json_type(t1) = 'VARCHAR' THEN llm_ts_utc(t1) END AS bucket_end
    FROM fields
),

line AS (
    SELECT
        *,
        CASE WHEN contains(line_rest, ',') THEN trim(split_part(line_rest, ',', 1)) END AS head,
        lower(trim(regexp_replace(
            CASE WHEN contains(line_rest, ',') THEN substr(line_rest, strpos(line_rest, ',') + 1)
                 ELSE line_rest END,
            ',\s*long context\s*$', ''))) AS token_class,
        currency IS NULL OR lower(currency) = 'usd' AS is_usd
    FROM parsed
)

SELECT
    source_line,
    source_item,
    'cost' AS kind,
    'openai' AS provider,
    bucket_start,
    bucket_end,
    CASE date_diff('second', bucket_start, bucket_end)
        WHEN 86400 THEN '1d' WHEN 3600 THEN '1h' WHEN 60 THEN '1m' END AS bucket_width,
    llm_blank_null(c.organization_id) AS organization_id,
    llm_blank_null(c.project_id) AS project_id,
    llm_blank_null(c.project_name) AS project_name,
    CAST(NULL AS VARCHAR) AS workspace_id,
    llm_blank_null(c.api_key_id) AS api_key_id,
    CAST(NULL AS VARCHAR) AS user_id,
    -- the head when it is a model id, without a trailing modality word ("gpt-audio audio")
    nullif(regexp_extract(head,
        '^([A-Za-z0-9][A-Za-z0-9._:/-]*[0-9-][A-Za-z0-9._:/-]*)( (audio|image|text|video))?$', 1),
        '') AS model_raw,
    CASE WHEN nullif(tier_prefix, '') IS NOT NULL THEN llm_tier(tier_prefix) END AS service_tier,
    CAST(NULL AS VARCHAR) AS context_window,
    line_item,
    CASE
        WHEN token_class IN ('input', 'input tokens', 'input_tokens', 'uncached input')
            THEN 'input'
        WHEN token_class IN ('output', 'output tokens', 'output_tokens') THEN 'output'
        WHEN token_class IN ('cached input', 'cached input tokens', 'cached_input_tokens',
                             'input_cached_tokens', 'cache read', 'cache reads')
            THEN 'cache_read'
    END AS token_type,
    CAST(NULL AS VARCHAR) AS cost_type,
    CAST(NULL AS BIGINT) AS requests,
    CAST(NULL AS BIGINT) AS input_tokens,
    CAST(NULL AS BIGINT) AS cache_read_input_tokens,
    CAST(NULL AS BIGINT) AS cache_creation_input_tokens,
    CAST(NULL AS BIGINT) AS cache_creation_1h_input_tokens,
    CAST(NULL AS BIGINT) AS output_tokens,
    CAST(NULL AS BIGINT) AS web_search_calls,
    -- (a non-USD row is quarantined by its unsupported_currency problem, never loaded)
    llm_num(amount_j) AS billed_cost_usd,
    llm_num(quantity_j) AS quantity,
    llm_blank_null(c.quantity_unit) AS quantity_unit,
    CAST(r AS VARCHAR) AS usage_raw,
    list_filter([
        CASE WHEN bad IS NOT NULL THEN llm_problem('malformed_field', bad) END,
        CASE WHEN json_type(r) <> 'OBJECT' THEN llm_problem('malformed_field',
            'results[' || source_item || '] is ' || left(CAST(r AS VARCHAR), 40)
            || ', not an object') END,
        CASE WHEN NOT is_usd THEN llm_problem('unsupported_currency',
            'amount is in ' || left(currency, 20) || '; only USD amounts are supported') END,
        CASE WHEN t0 IS NOT NULL AND bucket_start IS NULL THEN llm_problem('bad_timestamp',
            'start_time ' || left(CAST(t0 AS VARCHAR), 40)
            || ' is neither unix seconds nor a timestamp') END,
        CASE WHEN t1 IS NOT NULL AND bucket_end IS NULL THEN llm_problem('bad_timestamp',
            'end_time ' || left(CAST(t1 AS VARCHAR), 40)
            || ' is neither unix seconds nor a timestamp') END,
        llm_num_problem('amount.value', amount_j),
        llm_num_problem('quantity', quantity_j)
    ], lambda p: p IS NOT NULL) AS problems
FROM line
