-- Gemini API / Vertex AI generateContent responses -> canonical requests.
-- A line is a raw response body or the llmcost capture envelope (see openai.sql). Google's
-- usageMetadata convention:
--   promptTokenCount        INCLUDES cachedContentTokenCount (like OpenAI);
--   toolUsePromptTokenCount is SEPARATE from promptTokenCount (prompt tokens of tool results,
--                           e.g. url_context / search pages), billed as input: it is added;
--   candidatesTokenCount    EXCLUDES thoughtsTokenCount, which is billed as output: both added.
-- Real totals prove the split: 8 + 433 + 1477 = 1918 (Vertex, thinking) and
-- 32 + 41 + 2395 + 47 = 2515 (Gemini API, url_context) = prompt + candidates + toolUse + thoughts.
-- Counts are proto3 JSON: a zero count is omitted, so an absent count inside usageMetadata is 0.
-- Vertex stamps createTime; a Gemini API body has no time at all, so without an envelope's
-- started_at it is quarantined. Vertex called with enum-encoding=int writes trafficType as a
-- number (0 unspecified, 1 ON_DEMAND, 2 PROVISIONED_THROUGHPUT, 3 ON_DEMAND_PRIORITY,
-- 4 ON_DEMAND_FLEX).
-- Records are parsed from `raw`, the line's text (`doc` is the same text typed JSON; every
-- JSON function parses its input either way).
WITH envelope AS (
    SELECT
        source_line,
        raw,
        -- A Gemini error body is {"error": {...}} with no usage: treated like an envelope error.
        json_exists(raw, '$.response')
            OR (json_exists(raw, '$.error') AND NOT json_exists(raw, '$.usageMetadata')
                AND NOT json_exists(raw, '$.candidates')) AS is_envelope
    FROM records
),

parts AS (
    SELECT
        source_line,
        CASE WHEN is_envelope THEN from_json(raw, '{
            "request_id": "VARCHAR", "started_at": "VARCHAR", "ended_at": "VARCHAR",
            "provider": "VARCHAR", "service_tier": "VARCHAR", "status": "VARCHAR",
            "metadata": "JSON", "request": {"model": "VARCHAR", "labels": "JSON"},
            "error": "JSON"
        }') END AS env,
        CASE WHEN is_envelope THEN CAST(raw -> '$.response' AS VARCHAR) ELSE raw END AS body,
        CASE WHEN is_envelope THEN raw -> '$.request' END AS request
    FROM envelope
),

fields AS (
    SELECT
        source_line,
        env,
        body,
        request,
        from_json(body, '{
            "responseId": "VARCHAR", "modelVersion": "VARCHAR", "createTime": "VARCHAR",
            "usageMetadata": {
                "promptTokenCount": "JSON", "cachedContentTokenCount": "JSON",
                "candidatesTokenCount": "JSON", "responseTokenCount": "JSON",
                "toolUsePromptTokenCount": "JSON", "thoughtsTokenCount": "JSON",
                "totalTokenCount": "JSON", "trafficType": "JSON", "serviceTier": "VARCHAR"
            },
            "candidates": [{"groundingMetadata": {"webSearchQueries": "JSON"}}]
        }') AS b,
        json_type(body -> '$.usageMetadata') = 'OBJECT' AS has_usage,
        -- Vertex request labels are billing labels; the envelope's metadata wins on a clash.
        map_concat(coalesce(llm_string_map(env.request.labels), MAP {}),
                   coalesce(llm_string_map(env.metadata), MAP {})) AS md
    FROM parts
),

usage AS (
    SELECT
        *,
        b.usageMetadata AS u,
        -- The Live API spells candidates as response*.
        coalesce(b.usageMetadata.candidatesTokenCount, b.usageMetadata.responseTokenCount)
            AS candidates_j,
        CASE
            WHEN llm_int(b.usageMetadata.trafficType) BETWEEN 0 AND 4
                THEN ['TRAFFIC_TYPE_UNSPECIFIED', 'ON_DEMAND', 'PROVISIONED_THROUGHPUT',
                      'ON_DEMAND_PRIORITY', 'ON_DEMAND_FLEX'][llm_int(b.usageMetadata.trafficType) + 1]
            -- A number this list does not know stays visible (and unpriced), never standard.
            WHEN llm_int(b.usageMetadata.trafficType) IS NOT NULL
                THEN 'TRAFFIC_TYPE_' || CAST(llm_int(b.usageMetadata.trafficType) AS VARCHAR)
            ELSE upper(b.usageMetadata.trafficType ->> '$')
        END AS traffic_type,
        coalesce(llm_ts_zoned(b.createTime), llm_ts_zoned(env.started_at)) AS started,
        CASE
            WHEN env.error IS NOT NULL AND json_type(env.error) <> 'NULL' THEN 'failure'
            WHEN lower(env.status) IN ('failure', 'error', 'failed') THEN 'failure'
            ELSE 'success'
        END AS request_status
    FROM fields
),

final AS (
    SELECT
        source_line,
        0 AS source_item,
        coalesce(llm_blank_null(env.request_id), llm_blank_null(b.responseId)) AS request_id,
        started AS occurred_at,
        llm_ts_zoned(env.ended_at) AS ended_at,
        date_diff('microsecond', llm_ts_zoned(env.started_at), llm_ts_zoned(env.ended_at)) / 1000.0
            AS latency_ms,
        llm_provider(coalesce(env.provider, 'google'), b.modelVersion) AS provider,
        llm_blank_null(coalesce(b.modelVersion, env.request.model)) AS model_raw,
        llm_tier(coalesce(
            env.service_tier,
            CASE traffic_type
                WHEN 'ON_DEMAND' THEN 'standard'
                WHEN 'ON_DEMAND_PRIORITY' THEN 'priority'
                WHEN 'ON_DEMAND_FLEX' THEN 'flex'
                WHEN 'TRAFFIC_TYPE_UNSPECIFIED' THEN NULL
                -- PROVISIONED_THROUGHPUT is paid per GSU-hour, not per token: kept as its own
                -- tier so it shows up unpriced rather than at the pay-as-you-go price.
                ELSE lower(traffic_type)
            END,
            u.serviceTier
        )) AS service_tier,
        request_status AS status,
        false AS is_gateway_cache_hit,
        'generateContent' AS api_surface,
        md['team'] AS team,
        md['feature'] AS feature,
        coalesce(md['environment'], md['env']) AS environment,
        md['project'] AS project,
        coalesce(md['session_id'], md['session']) AS session_id,
        md['trace_id'] AS trace_id,
        coalesce(md['user_id'], md['user']) AS user_id,
        CAST(NULL AS VARCHAR) AS api_key_hash,
        md AS tags,
        CASE
            WHEN has_usage THEN coalesce(llm_int(u.promptTokenCount), 0)
                + coalesce(llm_int(u.toolUsePromptTokenCount), 0)
            WHEN request_status = 'failure' THEN 0
        END AS input_tokens,
        coalesce(llm_int(u.cachedContentTokenCount), 0) AS cache_read_input_tokens,
        -- Context-cache creation is billed by caches.create (and storage per hour), never
        -- inside a generateContent response.
        CAST(0 AS BIGINT) AS cache_creation_input_tokens,
        CAST(0 AS BIGINT) AS cache_creation_1h_input_tokens,
        CASE
            WHEN has_usage THEN coalesce(llm_int(candidates_j), 0)
                + coalesce(llm_int(u.thoughtsTokenCount), 0)
            WHEN request_status = 'failure' THEN 0
        END AS output_tokens,
        coalesce(llm_int(u.thoughtsTokenCount), 0) AS reasoning_output_tokens,
        -- Grounding with Google Search is billed per grounded prompt: one when any candidate
        -- ran search queries. url_context also writes groundingMetadata, without queries.
        CASE WHEN len(list_filter(coalesce(b.candidates, []), lambda c:
                json_array_length(c.groundingMetadata.webSearchQueries) > 0)) > 0
            THEN 1 ELSE 0 END AS web_search_calls,
        CAST(NULL AS DOUBLE) AS reported_cost_usd,
        CAST(body -> '$.usageMetadata' AS VARCHAR) AS usage_raw,
        -- The prompt (REST camelCase or the SDK's snake_case config), for fingerprints only.
        coalesce(json_extract(request, '$.systemInstruction'),
                 json_extract(request, '$.system_instruction'),
                 json_extract(request, '$.config.system_instruction')) AS prompt_system,
        json_extract(request, '$.contents') AS prompt_messages,
        coalesce(json_extract(request, '$.tools'), json_extract(request, '$.config.tools'))
            AS prompt_tools,
        request AS prompt_params,
        nullif(array_to_string(
            json_extract_string(body, '$.candidates[0].content.parts[*].text'), chr(10)), '')
            AS response_text,
        len(json_extract(body, '$.candidates[0].content.parts[*].functionCall')) > 0
            AS response_tool_calls,
        list_filter([
            llm_int_problem('usageMetadata.promptTokenCount', u.promptTokenCount),
            llm_int_problem('usageMetadata.cachedContentTokenCount', u.cachedContentTokenCount),
            llm_int_problem('usageMetadata.candidatesTokenCount', candidates_j),
            llm_int_problem('usageMetadata.toolUsePromptTokenCount', u.toolUsePromptTokenCount),
            llm_int_problem('usageMetadata.thoughtsTokenCount', u.thoughtsTokenCount),
            llm_ts_zoned_problem('createTime', b.createTime),
            llm_ts_zoned_problem('started_at', env.started_at),
            llm_ts_zoned_problem('ended_at', env.ended_at),
            CASE WHEN b.createTime IS NULL AND env.started_at IS NULL THEN
                llm_problem('missing_timestamp', 'no started_at: a Gemini API generateContent '
                    || 'body carries no time (only Vertex AI adds createTime), wrap it in the '
                    || 'capture envelope') END,
            CASE WHEN body IS NULL AND env.error IS NULL THEN
                llm_problem('missing_field', 'envelope has no response body') END
        ], lambda p: p IS NOT NULL) AS problems
    FROM usage
)

SELECT * FROM final
