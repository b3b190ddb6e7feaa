-- Anthropic SDK captures -> canonical requests.
-- A line is a raw Messages API body or the llmcost capture envelope (see openai.sql). Anthropic's
-- usage.input_tokens EXCLUDES cache reads and cache writes: the OTel input_tokens is
-- input_tokens + cache_read_input_tokens + cache_creation_input_tokens. Cache writes split into
-- 5-minute and 1-hour parts (cache_creation.ephemeral_*), priced 1.25x and 2x input.
-- A Messages body has no timestamp, so a bare body without an envelope is quarantined.
WITH envelope AS (
    SELECT
        source_line,
        doc,
        -- A bare body can carry "error": null (Responses API) or be an error body
        -- ({"type": "error", ...}); only an object without body keys is an envelope.
        json_exists(doc, '$.response')
            OR (json_exists(doc, '$.error') AND NOT json_exists(doc, '$.object')
                AND NOT json_exists(doc, '$.type')) AS is_envelope
    FROM records
),

parts AS (
    SELECT
        source_line,
        CASE WHEN is_envelope THEN from_json(doc, '{
            "request_id": "VARCHAR", "started_at": "VARCHAR", "ended_at": "VARCHAR",
            "provider": "VARCHAR", "service_tier": "VARCHAR", "status": "VARCHAR",
            "metadata": "JSON", "request": {"model": "VARCHAR"}, "error": "JSON",
            "base_url": "VARCHAR"
        }') END AS env,
        CASE WHEN is_envelope THEN doc -> '$.response' ELSE doc END AS body,
        CASE WHEN is_envelope THEN doc -> '$.request' END AS request
    FROM envelope
),

fields AS (
    SELECT
        source_line,
        env,
        body,
        request,
        from_json(body, '{
            "id": "VARCHAR", "type": "VARCHAR", "model": "VARCHAR",
            "usage": {
                "input_tokens": "JSON", "output_tokens": "JSON",
                "cache_read_input_tokens": "JSON", "cache_creation_input_tokens": "JSON",
                "cache_creation": {"ephemeral_5m_input_tokens": "JSON", "ephemeral_1h_input_tokens": "JSON"},
                "output_tokens_details": {"thinking_tokens": "JSON"},
                "server_tool_use": {"web_search_requests": "JSON"},
                "service_tier": "VARCHAR"
            }
        }') AS b,
        coalesce(llm_string_map(env.metadata), MAP {}) AS md
    FROM parts
),

usage AS (
    SELECT
        *,
        llm_int(b.usage.input_tokens) AS uncached,
        coalesce(llm_int(b.usage.cache_read_input_tokens), 0) AS cache_read,
        coalesce(
            llm_int(b.usage.cache_creation_input_tokens),
            coalesce(llm_int(b.usage.cache_creation.ephemeral_5m_input_tokens), 0)
                + coalesce(llm_int(b.usage.cache_creation.ephemeral_1h_input_tokens), 0)
        ) AS cache_write,
        CASE
            WHEN env.error IS NOT NULL AND json_type(env.error) <> 'NULL' THEN 'failure'
            WHEN lower(env.status) IN ('failure', 'error', 'failed') THEN 'failure'
            WHEN b.type = 'error' THEN 'failure'
            ELSE 'success'
        END AS request_status
    FROM fields
),

final AS (
    SELECT
        source_line,
        0 AS source_item,
        coalesce(llm_blank_null(env.request_id), llm_blank_null(b.id)) AS request_id,
        llm_ts_zoned(env.started_at) AS occurred_at,
        llm_ts_zoned(env.ended_at) AS ended_at,
        date_diff('microsecond', llm_ts_zoned(env.started_at), llm_ts_zoned(env.ended_at)) / 1000.0
            AS latency_ms,
        -- msg_bdrk_ ids are Claude on Bedrock (AWS bills it, at AWS's prices).
        llm_provider(coalesce(llm_blank_null(env.provider),
                              llm_provider_from_url(env.base_url),
                              CASE WHEN b.id LIKE 'msg_bdrk_%' THEN 'aws_bedrock' ELSE 'anthropic' END),
                     b.model) AS provider,
        llm_blank_null(coalesce(b.model, env.request.model)) AS model_raw,
        llm_tier(coalesce(env.service_tier, b.usage.service_tier)) AS service_tier,
        request_status AS status,
        false AS is_gateway_cache_hit,
        'messages' AS api_surface,
        md['team'] AS team,
        md['feature'] AS feature,
        coalesce(md['environment'], md['env']) AS environment,
        md['project'] AS project,
        coalesce(md['session_id'], md['session']) AS session_id,
        md['trace_id'] AS trace_id,
        coalesce(md['user_id'], md['user']) AS user_id,
        CAST(NULL AS VARCHAR) AS api_key_hash,
        -- Credentials never reach tags: keys named like one are dropped, key-looking values
        -- redacted (llm_redact).
        CAST(map_from_entries([{'key': e.key, 'value': llm_redact(e.value)}
            for e in map_entries(md) if NOT regexp_matches(lower(e.key),
                'api[_-]?key|authori[sz]ation|secret|passw(or)?d|token$|credential|cookie')])
            AS MAP(VARCHAR, VARCHAR)) AS tags,
        -- TRY: a sum past BIGINT is no token count (quarantined), not a crash of the file.
        coalesce(TRY(uncached + cache_read + cache_write),
                 CASE WHEN request_status = 'failure' THEN 0 END) AS input_tokens,
        cache_read AS cache_read_input_tokens,
        cache_write AS cache_creation_input_tokens,
        coalesce(llm_int(b.usage.cache_creation.ephemeral_1h_input_tokens), 0)
            AS cache_creation_1h_input_tokens,
        coalesce(llm_int(b.usage.output_tokens),
                 CASE WHEN request_status = 'failure' THEN 0 END) AS output_tokens,
        coalesce(llm_int(b.usage.output_tokens_details.thinking_tokens), 0) AS reasoning_output_tokens,
        coalesce(llm_int(b.usage.server_tool_use.web_search_requests), 0) AS web_search_calls,
        CAST(NULL AS DOUBLE) AS reported_cost_usd,
        CAST(body -> '$.usage' AS VARCHAR) AS usage_raw,
        -- The prompt, for fingerprints only.
        json_extract(request, '$.system') AS prompt_system,
        json_extract(request, '$.messages') AS prompt_messages,
        json_extract(request, '$.tools') AS prompt_tools,
        request AS prompt_params,
        nullif(array_to_string(list_transform(
            list_filter(CAST(json_extract(body, '$.content[*]') AS JSON[]),
                        lambda c: json_extract_string(c, '$.type') = 'text'),
            lambda c: json_extract_string(c, '$.text')), chr(10)), '') AS response_text,
        list_contains(json_extract_string(body, '$.content[*].type'), 'tool_use')
            AS response_tool_calls,
        list_filter([
            llm_int_problem('usage.input_tokens', b.usage.input_tokens),
            llm_int_problem('usage.output_tokens', b.usage.output_tokens),
            llm_int_problem('usage.cache_read_input_tokens', b.usage.cache_read_input_tokens),
            llm_int_problem('usage.cache_creation_input_tokens', b.usage.cache_creation_input_tokens),
            llm_int_problem('usage.cache_creation.ephemeral_5m_input_tokens',
                            b.usage.cache_creation.ephemeral_5m_input_tokens),
            llm_int_problem('usage.cache_creation.ephemeral_1h_input_tokens',
                            b.usage.cache_creation.ephemeral_1h_input_tokens),
            llm_ts_zoned_problem('started_at', env.started_at),
            llm_ts_zoned_problem('ended_at', env.ended_at),
            CASE WHEN env.started_at IS NULL THEN llm_problem('missing_timestamp',
                'no started_at: an Anthropic Messages body carries no time, wrap it in the capture envelope') END,
            CASE WHEN body IS NULL AND env.error IS NULL THEN
                llm_problem('missing_field', 'envelope has no response body') END
        ], lambda p: p IS NOT NULL) AS problems
    FROM usage
)

SELECT * FROM final
