-- LiteLLM proxy spend logs -> canonical requests.
-- Two shapes share this adapter: the LiteLLM_SpendLogs row (metadata and request_tags are
-- JSON-encoded *strings*, naive UTC timestamps, `spend`) and the StandardLoggingPayload callback
-- (real objects, epoch-second floats, `response_cost`). `spend` is what LiteLLM claimed, kept as
-- reported_cost_usd; the warehouse prices the tokens itself.
-- Performance: the record is parsed once; metadata/request_tags are read as text (an encoded
-- string unescapes, an object comes back as its JSON text) and parsed once more with try().
WITH parsed AS (
    SELECT
        source_line,
        from_json(doc, '{
            "request_id": "VARCHAR", "id": "VARCHAR", "litellm_call_id": "VARCHAR",
            "call_type": "VARCHAR", "api_key": "VARCHAR",
            "spend": "JSON", "response_cost": "JSON",
            "prompt_tokens": "JSON", "completion_tokens": "JSON",
            "startTime": "JSON", "endTime": "JSON", "request_duration_ms": "JSON",
            "model": "VARCHAR", "model_group": "VARCHAR", "custom_llm_provider": "VARCHAR",
            "user": "VARCHAR", "team_id": "VARCHAR", "organization_id": "VARCHAR",
            "end_user": "VARCHAR", "session_id": "VARCHAR", "trace_id": "VARCHAR",
            "status": "VARCHAR", "metadata": "VARCHAR", "request_tags": "VARCHAR",
            "cache_hit": "VARCHAR",
            "hidden_params": {"litellm_model_name": "VARCHAR", "usage_object": "VARCHAR"},
            "response": "JSON", "messages": "JSON", "model_parameters": "JSON",
            "proxy_server_request": "JSON"
        }') AS f
    FROM records
),

decoded AS (
    SELECT
        source_line,
        f,
        try(from_json(f.metadata, '{
            "user_api_key_team_id": "VARCHAR", "user_api_key_team_alias": "VARCHAR",
            "user_api_key_user_id": "VARCHAR", "user_api_key_end_user_id": "VARCHAR",
            "user_api_key_hash": "VARCHAR",
            "user_api_key_project_id": "VARCHAR", "user_api_key_project_alias": "VARCHAR",
            "team_id": "VARCHAR", "team_alias": "VARCHAR", "session_id": "VARCHAR",
            "spend_logs_metadata": "VARCHAR", "requester_metadata": "VARCHAR",
            "cost_breakdown": {"service_tier": "VARCHAR"},
            "usage_object": "VARCHAR"
        }')) AS m,
        try(from_json(f.request_tags, '["VARCHAR"]')) AS tag_list
    FROM parsed
),

usage AS (
    SELECT
        *,
        coalesce(m.usage_object, f.hidden_params.usage_object,
                 CASE WHEN json_type(f.response) = 'OBJECT'
                     THEN CAST(json_extract(f.response, '$.usage') AS VARCHAR) END) AS usage_text,
        llm_tag_entries(tag_list) AS tag_entries,
        -- Attribution metadata users pass per request (spend_logs_metadata / requester_metadata).
        coalesce(try(from_json(m.spend_logs_metadata, '"MAP(VARCHAR, VARCHAR)"')), MAP {}) AS custom_md,
        coalesce(try(from_json(m.requester_metadata, '"MAP(VARCHAR, VARCHAR)"')), MAP {}) AS requester_md
    FROM decoded
),

merged AS (
    -- Request tags and spend_logs_metadata in one map (the metadata's value wins a key in
    -- both); the attribution columns below read the request tags first.
    SELECT *, [e.k for e in tag_entries] AS tag_keys, llm_tags_map(tag_entries, custom_md) AS all_tags
    FROM usage
),

tokens AS (
    SELECT
        *,
        try(from_json(usage_text, '{
            "prompt_tokens": "JSON", "completion_tokens": "JSON",
            "cache_read_input_tokens": "JSON", "cache_creation_input_tokens": "JSON",
            "prompt_tokens_details": {
                "cached_tokens": "JSON", "cache_creation_tokens": "JSON",
                "cache_creation_token_details": {"ephemeral_1h_input_tokens": "JSON"}
            },
            "completion_tokens_details": {"reasoning_tokens": "JSON"},
            "cache_creation": {"ephemeral_1h_input_tokens": "JSON"},
            "server_tool_use": {"web_search_requests": "JSON"}
        }')) AS u
    FROM merged
),

counts AS (
    SELECT
        *,
        coalesce(u.prompt_tokens, f.prompt_tokens) AS prompt_j,
        coalesce(u.completion_tokens, f.completion_tokens) AS completion_j,
        coalesce(u.prompt_tokens_details.cached_tokens, u.cache_read_input_tokens) AS cache_read_j,
        coalesce(u.cache_creation_input_tokens, u.prompt_tokens_details.cache_creation_tokens)
            AS cache_write_j,
        llm_int(coalesce(u.prompt_tokens, f.prompt_tokens)) AS prompt_i,
        coalesce(llm_int(coalesce(u.prompt_tokens_details.cached_tokens,
                                  u.cache_read_input_tokens)), 0) AS cache_read_i,
        coalesce(llm_int(coalesce(u.cache_creation_input_tokens,
                                  u.prompt_tokens_details.cache_creation_tokens)), 0)
            AS cache_write_i,
        llm_int(coalesce(u.completion_tokens, f.completion_tokens)) AS completion_i,
        llm_int(u.completion_tokens_details.reasoning_tokens) AS reasoning_i,
        llm_ts_utc(f.startTime) AS started,
        llm_ts_utc(f.endTime) AS ended,
        llm_num(coalesce(f.spend, f.response_cost)) AS reported
    FROM tokens
),

prompt AS (
    -- SpendLogs store messages/response as JSON-encoded strings ("{}" when the proxy keeps no
    -- prompts); callbacks as objects. Each is unwrapped once.
    SELECT
        *,
        llm_unwrap_json(f.messages) AS messages_j,
        llm_unwrap_json(f.model_parameters) AS params_j,
        llm_unwrap_json(f.proxy_server_request) AS proxy_j,
        llm_unwrap_json(f.response) AS response_j,
        llm_tags_suspect(all_tags) AS tags_suspect
    FROM counts
),

final AS (
    SELECT
        source_line,
        0 AS source_item,
        llm_blank_null(coalesce(f.request_id, f.id, f.litellm_call_id)) AS request_id,
        started AS occurred_at,
        ended AS ended_at,
        coalesce(llm_num(f.request_duration_ms),
                 date_diff('microsecond', started, ended) / 1000.0) AS latency_ms,
        llm_provider(f.custom_llm_provider, f.model) AS provider,
        llm_blank_null(coalesce(f.model, f.hidden_params.litellm_model_name)) AS model_raw,
        llm_tier(m.cost_breakdown.service_tier) AS service_tier,
        CASE WHEN lower(f.status) IN ('failure', 'error', 'failed') THEN 'failure' ELSE 'success' END AS status,
        -- LiteLLM's own response cache: SpendLogs says "True", callbacks say true; the
        -- provider was not called (LiteLLM itself sets the cost to 0).
        lower(coalesce(f.cache_hit, '')) = 'true' AS is_gateway_cache_hit,
        f.call_type AS api_surface,
        coalesce(llm_tag(tag_entries, tag_keys, 'team'), custom_md['team'], requester_md['team'],
                 llm_blank_null(m.user_api_key_team_alias), llm_blank_null(m.team_alias),
                 llm_blank_null(f.team_id), llm_blank_null(m.user_api_key_team_id),
                 llm_blank_null(m.team_id)) AS team,
        coalesce(llm_tag(tag_entries, tag_keys, 'feature'), custom_md['feature'], requester_md['feature']) AS feature,
        coalesce(llm_tag(tag_entries, tag_keys, 'env'), llm_tag(tag_entries, tag_keys, 'environment'), custom_md['environment'],
                 custom_md['env'], requester_md['environment']) AS environment,
        coalesce(llm_tag(tag_entries, tag_keys, 'project'), custom_md['project'],
                 llm_blank_null(m.user_api_key_project_alias),
                 llm_blank_null(m.user_api_key_project_id)) AS project,
        coalesce(llm_blank_null(f.session_id), llm_blank_null(m.session_id),
                 llm_tag(tag_entries, tag_keys, 'session'), custom_md['session_id']) AS session_id,
        llm_blank_null(f.trace_id) AS trace_id,
        coalesce(llm_blank_null(f.end_user), llm_blank_null(m.user_api_key_end_user_id),
                 llm_blank_null(f."user"), llm_blank_null(m.user_api_key_user_id)) AS user_id,
        -- SpendLogs.api_key is already LiteLLM's sha256 of the virtual key; a raw key is hashed.
        -- user_api_key_hash too, when a logger put the raw key there.
        CASE
            WHEN llm_blank_null(f.api_key) IS NULL THEN
                CASE WHEN m.user_api_key_hash LIKE 'sk-%' THEN sha256(m.user_api_key_hash)
                     ELSE llm_blank_null(m.user_api_key_hash) END
            WHEN f.api_key LIKE 'sk-%' THEN sha256(f.api_key)
            ELSE f.api_key
        END AS api_key_hash,
        -- Credentials never reach tags: keys named like one are dropped, key-looking values
        -- redacted (llm_redact).
        CASE WHEN NOT tags_suspect THEN all_tags
        ELSE CAST(map_from_entries([{'key': e.key, 'value': llm_redact(e.value)}
            for e in map_entries(all_tags) if NOT regexp_matches(lower(e.key),
                'api[_-]?key|authori[sz]ation|secret|passw(or)?d|token$|credential|cookie')])
            AS MAP(VARCHAR, VARCHAR)) END AS tags,
        -- The scan above found nothing credential-like: the shared tail need not scan again.
        NOT tags_suspect AS tags_clean,
        -- LiteLLM reports usage the OpenAI way: prompt_tokens already includes cache reads and
        -- writes. Older Anthropic mappings left them out; then the cached parts exceed the
        -- prompt and are added back so input_tokens keeps the OTel meaning.
        CASE
            WHEN CAST(cache_read_i AS HUGEINT) + cache_write_i > prompt_i
                THEN TRY(prompt_i + cache_read_i + cache_write_i)
            ELSE prompt_i
        END AS input_tokens,
        cache_read_i AS cache_read_input_tokens,
        cache_write_i AS cache_creation_input_tokens,
        -- LiteLLM's Anthropic usage keeps the 1-hour part of cache writes under
        -- prompt_tokens_details.cache_creation_token_details (older: cache_creation).
        coalesce(llm_int(u.prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens),
                 llm_int(u.cache_creation.ephemeral_1h_input_tokens), 0) AS cache_creation_1h_input_tokens,
        completion_i AS output_tokens,
        coalesce(reasoning_i, 0) AS reasoning_output_tokens,
        coalesce(llm_int(u.server_tool_use.web_search_requests), 0) AS web_search_calls,
        reported AS reported_cost_usd,
        coalesce(usage_text, '{}') AS usage_raw,
        -- The prompt, for fingerprints only.
        CAST(NULL AS JSON) AS prompt_system,
        CASE WHEN json_type(messages_j) = 'ARRAY' THEN messages_j END AS prompt_messages,
        coalesce(json_extract(params_j, '$.tools'), json_extract(proxy_j, '$.tools'))
            AS prompt_tools,
        coalesce(params_j, proxy_j) AS prompt_params,
        json_extract_string(response_j, '$.choices[0].message.content') AS response_text,
        json_array_length(json_extract(response_j, '$.choices[0].message.tool_calls')) > 0
            AS response_tool_calls,
        -- The reasons are only worked out for a record that fails a cheap check first.
        CASE WHEN (m IS NOT NULL OR llm_blank_null(f.metadata) IS NULL)
                AND (tag_list IS NOT NULL OR llm_blank_null(f.request_tags) IS NULL)
                AND (prompt_i >= 0 OR prompt_j IS NULL) AND (completion_i >= 0 OR completion_j IS NULL)
                AND cache_read_i >= 0 AND cache_write_i >= 0
                AND (cache_read_j IS NULL OR llm_int(cache_read_j) IS NOT NULL)
                AND (cache_write_j IS NULL OR llm_int(cache_write_j) IS NOT NULL)
                AND (reasoning_i >= 0 OR u.completion_tokens_details.reasoning_tokens IS NULL)
                AND started IS NOT NULL AND (ended IS NOT NULL OR f.endTime IS NULL)
                AND (reported IS NOT NULL OR coalesce(f.spend, f.response_cost) IS NULL)
            THEN []::STRUCT(code VARCHAR, reason VARCHAR)[]
        ELSE list_filter([
            CASE WHEN llm_blank_null(f.metadata) IS NOT NULL AND m IS NULL THEN
                llm_problem('malformed_field', 'metadata is not valid JSON: ' || left(f.metadata, 60)) END,
            CASE WHEN llm_blank_null(f.request_tags) IS NOT NULL AND tag_list IS NULL THEN
                llm_problem('malformed_field', 'request_tags is not a JSON list of strings: '
                    || left(f.request_tags, 60)) END,
            llm_int_problem('prompt_tokens', prompt_j),
            llm_int_problem('completion_tokens', completion_j),
            llm_int_problem('cache_read_input_tokens', cache_read_j),
            llm_int_problem('cache_creation_input_tokens', cache_write_j),
            llm_int_problem('reasoning_tokens', u.completion_tokens_details.reasoning_tokens),
            llm_ts_utc_problem('startTime', f.startTime),
            llm_ts_utc_problem('endTime', f.endTime),
            llm_num_problem('spend', coalesce(f.spend, f.response_cost))
        ], lambda p: p IS NOT NULL) END AS problems
    FROM prompt
)

SELECT * FROM final
