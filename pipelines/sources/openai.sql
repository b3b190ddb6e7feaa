-- OpenAI SDK captures -> canonical requests.
-- A line is a raw Chat Completions or Responses API body, or the llmcost capture envelope
-- {"request_id", "started_at", "ended_at", "metadata": {...}, "request": {...}, "response": body}
-- (schemas/sources/sdk_capture_envelope.schema.json). OpenAI's prompt_tokens / input_tokens
-- already include cached tokens and completion/output tokens include reasoning, so the OTel
-- meaning holds as reported; only the field names differ between the two APIs.
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
            "metadata": "JSON", "request": {"model": "VARCHAR", "service_tier": "VARCHAR"},
            "error": "JSON", "base_url": "VARCHAR"
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
            "id": "VARCHAR", "object": "VARCHAR", "created": "JSON", "created_at": "JSON",
            "completed_at": "JSON", "model": "VARCHAR", "service_tier": "VARCHAR",
            "status": "VARCHAR",
            "usage": {
                "prompt_tokens": "JSON", "completion_tokens": "JSON",
                "input_tokens": "JSON", "output_tokens": "JSON",
                "prompt_tokens_details": {"cached_tokens": "JSON", "cache_write_tokens": "JSON"},
                "input_tokens_details": {"cached_tokens": "JSON", "cache_write_tokens": "JSON"},
                "completion_tokens_details": {"reasoning_tokens": "JSON"},
                "output_tokens_details": {"reasoning_tokens": "JSON"}
            },
            "output": [{"type": "VARCHAR"}]
        }') AS b,
        coalesce(llm_string_map(env.metadata), MAP {}) AS md
    FROM parts
),

usage AS (
    SELECT
        *,
        coalesce(b.usage.prompt_tokens, b.usage.input_tokens) AS input_j,
        coalesce(b.usage.completion_tokens, b.usage.output_tokens) AS output_j,
        coalesce(b.usage.prompt_tokens_details.cached_tokens,
                 b.usage.input_tokens_details.cached_tokens) AS cached_j,
        coalesce(b.usage.prompt_tokens_details.cache_write_tokens,
                 b.usage.input_tokens_details.cache_write_tokens) AS cache_write_j,
        coalesce(b.usage.completion_tokens_details.reasoning_tokens,
                 b.usage.output_tokens_details.reasoning_tokens) AS reasoning_j,
        coalesce(llm_ts_zoned(env.started_at),
                 TRY(to_timestamp(llm_num(coalesce(b.created, b.created_at))))) AS started,
        CASE
            WHEN env.error IS NOT NULL AND json_type(env.error) <> 'NULL' THEN 'failure'
            WHEN lower(env.status) IN ('failure', 'error', 'failed') THEN 'failure'
            WHEN lower(b.status) IN ('failed', 'cancelled') THEN 'failure'
            ELSE 'success'
        END AS request_status
    FROM fields
),

final AS (
    SELECT
        source_line,
        0 AS source_item,
        coalesce(llm_blank_null(env.request_id), llm_blank_null(b.id)) AS request_id,
        started AS occurred_at,
        coalesce(llm_ts_zoned(env.ended_at), TRY(to_timestamp(llm_num(b.completed_at)))) AS ended_at,
        date_diff('microsecond', started,
                  coalesce(llm_ts_zoned(env.ended_at), TRY(to_timestamp(llm_num(b.completed_at))))) / 1000.0
            AS latency_ms,
        -- Who bills: the envelope's provider, else the endpoint the SDK was pointed at
        -- (base_url, or metadata.base_url), else a model id only one provider serves.
        llm_provider(coalesce(llm_blank_null(env.provider),
                              llm_provider_from_url(coalesce(env.base_url, md['base_url'])),
                              llm_provider_from_model(coalesce(b.model, env.request.model)),
                              'openai'), b.model) AS provider,
        llm_blank_null(coalesce(b.model, env.request.model)) AS model_raw,
        llm_tier(coalesce(env.service_tier, b.service_tier, env.request.service_tier)) AS service_tier,
        request_status AS status,
        false AS is_gateway_cache_hit,
        CASE
            WHEN b.object = 'response' THEN 'responses'
            WHEN b.object LIKE 'chat.completion%' THEN 'chat.completions'
            ELSE b.object
        END AS api_surface,
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
        coalesce(llm_int(input_j), CASE WHEN request_status = 'failure' THEN 0 END) AS input_tokens,
        coalesce(llm_int(cached_j), 0) AS cache_read_input_tokens,
        coalesce(llm_int(cache_write_j), 0) AS cache_creation_input_tokens,
        CAST(0 AS BIGINT) AS cache_creation_1h_input_tokens,
        coalesce(llm_int(output_j), CASE WHEN request_status = 'failure' THEN 0 END) AS output_tokens,
        coalesce(llm_int(reasoning_j), 0) AS reasoning_output_tokens,
        CAST(len(list_filter(coalesce(b.output, []), lambda o: o.type = 'web_search_call')) AS BIGINT)
            AS web_search_calls,
        CAST(NULL AS DOUBLE) AS reported_cost_usd,
        CAST(body -> '$.usage' AS VARCHAR) AS usage_raw,
        -- The prompt (Chat: messages; Responses: instructions + input), for fingerprints only.
        json_extract(request, '$.instructions') AS prompt_system,
        coalesce(json_extract(request, '$.messages'), json_extract(request, '$.input'))
            AS prompt_messages,
        json_extract(request, '$.tools') AS prompt_tools,
        request AS prompt_params,
        coalesce(json_extract_string(body, '$.choices[0].message.content'),
                 nullif(array_to_string(
                     json_extract_string(body, '$.output[*].content[*].text'), chr(10)), ''))
            AS response_text,
        json_array_length(json_extract(body, '$.choices[0].message.tool_calls')) > 0
            OR list_contains(json_extract_string(body, '$.output[*].type'), 'function_call')
            AS response_tool_calls,
        list_filter([
            llm_int_problem('usage input tokens', input_j),
            llm_int_problem('usage output tokens', output_j),
            llm_int_problem('cached_tokens', cached_j),
            llm_int_problem('cache_write_tokens', cache_write_j),
            llm_int_problem('reasoning_tokens', reasoning_j),
            llm_ts_zoned_problem('started_at', env.started_at),
            llm_ts_zoned_problem('ended_at', env.ended_at),
            CASE WHEN body IS NULL AND env.error IS NULL THEN
                llm_problem('missing_field', 'envelope has no response body') END
        ], lambda p: p IS NOT NULL) AS problems
    FROM usage
)

SELECT * FROM final
