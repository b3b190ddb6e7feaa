-- Helicone request exports -> canonical requests. Two shapes share this adapter:
-- - JSONL / JSON: raw HeliconeRequest records (POST /v1/request/query-clickhouse, or
--   `npx @helicone/export --format jsonl|json`): numbers are numbers, request_properties is an
--   object, cost is `costUSD` (older exports: `cost`), latency is `delay_ms`;
-- - CSV (`npx @helicone/export --format csv`): every value is a string (llm_int / llm_num read
--   digit strings), an absent value is an empty field, and request_properties is JSON that the
--   export CLI quote-escaped twice, so after CSV decoding it reads {""Team"":""growth""}: it is
--   decoded as JSON, or else with "" turned back into ".
-- Time: request_created_at / response_created_at are accepted as RFC 3339 with a zone, as epoch
-- seconds, or as naive "YYYY-MM-DD HH:MM:SS[.fff]" text taken as UTC (Helicone's ClickHouse
-- columns are UTC DateTime64).
-- Tokens: Helicone normalises OpenAI usage to prompt_tokens that include the cache reads, but
-- for Anthropic its prompt_tokens is the uncached part with prompt_cache_read_tokens /
-- prompt_cache_write_tokens beside it. There is no flag saying which: as in litellm.sql, when
-- reads + writes exceed prompt_tokens they are added back so input_tokens keeps the OTel meaning.
-- Ids: response_id first (the only id in the CSV export, and in every JSONL record), so a CSV
-- and a JSONL export of the same requests dedupe; Helicone's request_id goes to
-- tags['helicone_request_id'].
WITH cleaned AS (
    -- An empty CSV field (or an explicit "null") means absent, not an invalid number.
    SELECT
        source_line,
        to_json(map_from_entries(list_filter(
            map_entries(from_json(doc, '"MAP(VARCHAR, JSON)"')),
            lambda e: NOT (json_type(e.value) = 'VARCHAR' AND trim(e.value ->> '$') IN ('', 'null', 'None'))
        ))) AS doc
    FROM records
),

fields AS (
    SELECT
        source_line,
        doc,
        from_json(doc, '{
            "response_id": "VARCHAR", "request_id": "VARCHAR",
            "request_created_at": "JSON", "response_created_at": "JSON",
            "response_status": "JSON", "request_path": "VARCHAR",
            "model": "VARCHAR", "model_override": "VARCHAR", "response_model": "VARCHAR",
            "request_model": "VARCHAR", "provider": "VARCHAR",
            "request_user_id": "VARCHAR", "helicone_user": "VARCHAR",
            "request_properties": "JSON", "properties": "JSON",
            "delay_ms": "JSON", "latency": "JSON", "time_to_first_token": "JSON",
            "prompt_tokens": "JSON", "completion_tokens": "JSON", "total_tokens": "JSON",
            "prompt_cache_read_tokens": "JSON", "prompt_cache_write_tokens": "JSON",
            "costUSD": "JSON", "cost": "JSON",
            "cache_reference_id": "VARCHAR", "response_body": "JSON"
        }') AS f
    FROM cleaned
),

decoded AS (
    SELECT
        *,
        CASE
            WHEN llm_unwrap(f.request_properties) IS NOT NULL THEN llm_unwrap(f.request_properties)
            WHEN json_type(f.request_properties) = 'VARCHAR'
                 AND json_valid(replace(f.request_properties ->> '$', '""', '"'))
                THEN CAST(replace(f.request_properties ->> '$', '""', '"') AS JSON)
        END AS request_properties_json,
        llm_unwrap(f.properties) AS properties_json,
        from_json(llm_unwrap(f.response_body), '{"service_tier": "VARCHAR", "usage": {
            "completion_tokens_details": {"reasoning_tokens": "JSON"},
            "output_tokens_details": {"reasoning_tokens": "JSON"}
        }}') AS rb
    FROM fields
),

properties AS (
    SELECT
        *,
        coalesce(llm_string_map(request_properties_json), MAP {}) AS request_map,
        coalesce(llm_string_map(properties_json), MAP {}) AS properties_map
    FROM decoded
),

lowered AS (
    SELECT
        *,
        -- Custom Helicone-Property-* headers; tags keep them as sent (request_properties wins
        -- over the duplicate `properties` map).
        map_concat(properties_map, request_map) AS prop_map,
        -- Attribution keys are matched case-insensitively (Team, team, TEAM), without a
        -- "Helicone-Property-" prefix; the first spelling wins, request_properties first.
        list_transform(list_concat(map_entries(request_map), map_entries(properties_map)),
            lambda e: {'k': lower(regexp_replace(e.key, '^helicone-property-', '', 'i')),
                       'v': e.value}) AS prop_list
    FROM properties
),

attribution AS (
    SELECT
        *,
        map_from_entries(list_filter(prop_list, lambda e, i:
            NOT list_contains(list_transform(prop_list[1:i - 1], lambda x: x.k), e.k))) AS pm,
        CASE WHEN lower(f.provider) = 'aws' THEN 'bedrock' ELSE f.provider END AS provider_name,
        llm_int(f.response_status) AS http_status,
        coalesce(f.delay_ms, f.latency) AS latency_j,
        f.prompt_tokens AS prompt_j,
        f.completion_tokens AS completion_j,
        f.prompt_cache_read_tokens AS cache_read_j,
        f.prompt_cache_write_tokens AS cache_write_j,
        coalesce(rb.usage.completion_tokens_details.reasoning_tokens,
                 rb.usage.output_tokens_details.reasoning_tokens) AS reasoning_j,
        coalesce(f.costUSD, f.cost) AS cost_j,
        llm_ts_utc(f.request_created_at) AS started,
        llm_ts_utc(f.response_created_at) AS responded
    FROM lowered
),

final AS (
    SELECT
        source_line,
        0 AS source_item,
        coalesce(llm_blank_null(f.response_id), llm_blank_null(f.request_id)) AS request_id,
        started AS occurred_at,
        coalesce(responded, TRY(started + to_microseconds(CAST(round(llm_num(latency_j) * 1000) AS BIGINT))))
            AS ended_at,
        coalesce(llm_num(latency_j), date_diff('microsecond', started, responded) / 1000.0) AS latency_ms,
        llm_provider(provider_name, coalesce(f.model, f.model_override, f.response_model, f.request_model))
            AS provider,
        llm_blank_null(coalesce(f.model, f.model_override, f.response_model, f.request_model)) AS model_raw,
        llm_tier(rb.service_tier) AS service_tier,
        CASE WHEN http_status IS NULL OR http_status BETWEEN 200 AND 299 THEN 'success' ELSE 'failure' END
            AS status,
        -- Helicone's own response cache: the row points at the cached request it replayed
        -- (the all-zero uuid is ClickHouse's "none").
        coalesce(llm_blank_null(f.cache_reference_id) IS NOT NULL
                 AND f.cache_reference_id <> '00000000-0000-0000-0000-000000000000', false)
            AS is_gateway_cache_hit,
        CASE
            WHEN f.request_path LIKE '%/chat/completions%' THEN 'chat.completions'
            WHEN f.request_path LIKE '%/responses%' THEN 'responses'
            WHEN f.request_path LIKE '%/messages%' THEN 'messages'
            WHEN f.request_path LIKE '%/embeddings%' THEN 'embeddings'
            ELSE llm_blank_null(f.request_path)
        END AS api_surface,
        pm['team'] AS team,
        pm['feature'] AS feature,
        coalesce(pm['environment'], pm['env']) AS environment,
        pm['project'] AS project,
        coalesce(pm['helicone-session-id'], pm['session-id'], pm['session_id'], pm['sessionid'],
                 pm['session']) AS session_id,
        coalesce(pm['trace-id'], pm['trace_id']) AS trace_id,
        coalesce(llm_blank_null(f.request_user_id), pm['helicone-user-id'], pm['user-id'],
                 pm['user_id'], pm['user']) AS user_id,
        CAST(NULL AS VARCHAR) AS api_key_hash,
        map_concat(prop_map, map_from_entries(list_filter([
            {'k': 'helicone_request_id', 'v': CASE WHEN llm_blank_null(f.response_id) IS NOT NULL
                THEN llm_blank_null(f.request_id) END},
            {'k': 'helicone_user', 'v': llm_blank_null(f.helicone_user)},
            {'k': 'upstream_provider', 'v': llm_blank_null(f.provider)},
            {'k': 'response_status', 'v': CASE WHEN http_status NOT BETWEEN 200 AND 299
                THEN f.response_status ->> '$' END}
        ], lambda e: e.v IS NOT NULL))) AS tags,
        CASE
            WHEN coalesce(llm_int(cache_read_j), 0) + coalesce(llm_int(cache_write_j), 0) > llm_int(prompt_j)
                THEN llm_int(prompt_j) + coalesce(llm_int(cache_read_j), 0) + coalesce(llm_int(cache_write_j), 0)
            ELSE coalesce(llm_int(prompt_j),
                          CASE WHEN http_status NOT BETWEEN 200 AND 299 THEN 0 END)
        END AS input_tokens,
        coalesce(llm_int(cache_read_j), 0) AS cache_read_input_tokens,
        coalesce(llm_int(cache_write_j), 0) AS cache_creation_input_tokens,
        CAST(0 AS BIGINT) AS cache_creation_1h_input_tokens,
        coalesce(llm_int(completion_j),
                 CASE WHEN http_status NOT BETWEEN 200 AND 299 THEN 0 END) AS output_tokens,
        coalesce(llm_int(reasoning_j), 0) AS reasoning_output_tokens,
        CAST(0 AS BIGINT) AS web_search_calls,
        llm_num(cost_j) AS reported_cost_usd,
        CAST(json_object(
            'prompt_tokens', prompt_j, 'completion_tokens', completion_j,
            'total_tokens', f.total_tokens,
            'prompt_cache_read_tokens', cache_read_j, 'prompt_cache_write_tokens', cache_write_j,
            'cost', cost_j
        ) AS VARCHAR) AS usage_raw,
        list_filter([
            llm_int_problem('prompt_tokens', prompt_j),
            llm_int_problem('completion_tokens', completion_j),
            llm_int_problem('prompt_cache_read_tokens', cache_read_j),
            llm_int_problem('prompt_cache_write_tokens', cache_write_j),
            llm_int_problem('reasoning_tokens', reasoning_j),
            llm_num_problem(CASE WHEN f.costUSD IS NOT NULL THEN 'costUSD' ELSE 'cost' END, cost_j),
            llm_num_problem('latency', latency_j),
            llm_ts_utc_problem('request_created_at', f.request_created_at),
            llm_ts_utc_problem('response_created_at', f.response_created_at),
            CASE WHEN f.request_properties IS NOT NULL AND request_properties_json IS NULL
                THEN llm_problem('malformed_field', 'request_properties is not valid JSON: '
                    || left(CAST(f.request_properties AS VARCHAR), 60)) END
        ], lambda p: p IS NOT NULL) AS problems
    FROM attribution
)

SELECT * FROM final
