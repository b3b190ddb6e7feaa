-- OpenRouter -> canonical requests. Two shapes share this adapter:
-- (a) generation stats, GET /api/v1/generation?id=gen-... -> {"data": {...}} (or the bare data
--     object): native_tokens_* are counted by the upstream provider's tokenizer and are what
--     OpenRouter bills, so they win over the normalised tokens_prompt / tokens_completion;
--     total_cost (else `usage`) is the USD OpenRouter charged.
-- (b) chat responses with usage accounting, bare or in the llmcost capture envelope (or the
--     {request_uri, status, response} entries of a recorded cassette): usage.prompt_tokens
--     follows the OpenAI convention (includes cached_tokens and cache_write_tokens),
--     completion_tokens includes reasoning_tokens; usage.cost is the USD charged.
-- OpenRouter is who bills, so provider = 'openrouter' and the upstream ("OpenAI", "xAI", or
-- provider_name) goes to tags['upstream_provider']. BYOK: OpenRouter bills 0 (or its BYOK fee)
-- and the user pays the upstream directly: reported_cost_usd stays what OpenRouter billed, the
-- upstream's charge goes to tags['upstream_inference_cost_usd'].
-- request_id is the generation id (gen-...) first, so a capture and a later generation-stats
-- fetch of the same call dedupe instead of counting twice; an envelope's own request_id is
-- kept in tags['capture_request_id'].
WITH kinds AS (
    SELECT
        source_line,
        doc,
        CASE
            WHEN json_type(doc -> '$.data') = 'OBJECT' THEN doc -> '$.data'
            WHEN json_exists(doc, '$.native_tokens_prompt') OR json_exists(doc, '$.total_cost')
                OR (json_exists(doc, '$.provider_name') AND json_exists(doc, '$.tokens_prompt'))
                THEN doc
        END AS gen_json
    FROM records
),

-- (a) generation stats -----------------------------------------------------------------------
gen_fields AS (
    SELECT
        source_line,
        gen_json,
        from_json(gen_json, '{
            "id": "VARCHAR", "upstream_id": "VARCHAR", "request_id": "VARCHAR",
            "created_at": "VARCHAR", "model": "VARCHAR", "provider_name": "VARCHAR",
            "api_type": "VARCHAR", "service_tier": "VARCHAR", "origin": "VARCHAR",
            "total_cost": "JSON", "usage": "JSON", "cache_discount": "JSON",
            "upstream_inference_cost": "JSON", "is_byok": "JSON",
            "tokens_prompt": "JSON", "tokens_completion": "JSON",
            "native_tokens_prompt": "JSON", "native_tokens_completion": "JSON",
            "native_tokens_reasoning": "JSON", "native_tokens_cached": "JSON",
            "latency": "JSON", "generation_time": "JSON", "streamed": "JSON", "cancelled": "JSON",
            "finish_reason": "VARCHAR", "native_finish_reason": "VARCHAR",
            "app_id": "VARCHAR", "external_user": "VARCHAR", "session_id": "VARCHAR",
            "num_search_results": "JSON", "response_cache_source_id": "VARCHAR"
        }') AS g
    FROM kinds
    WHERE gen_json IS NOT NULL
),

gen_tokens AS (
    SELECT
        *,
        -- The provider's own count is the billing basis; the normalised count only when the
        -- native one is absent (tags['token_basis'] says which was used).
        coalesce(g.native_tokens_prompt, g.tokens_prompt) AS prompt_j,
        coalesce(g.native_tokens_completion, g.tokens_completion) AS completion_j,
        g.native_tokens_cached AS cached_j,
        g.native_tokens_reasoning AS reasoning_j,
        coalesce(g.total_cost, g.usage) AS cost_j,
        llm_ts_zoned(g.created_at) AS started
    FROM gen_fields
),

gen_final AS (
    SELECT
        source_line,
        0 AS source_item,
        llm_blank_null(g.id) AS request_id,
        started AS occurred_at,
        TRY(started + to_microseconds(CAST(round(llm_num(g.latency) * 1000) AS BIGINT))) AS ended_at,
        llm_num(g.latency) AS latency_ms,
        'openrouter' AS provider,
        llm_blank_null(g.model) AS model_raw,
        llm_tier(g.service_tier) AS service_tier,
        CASE WHEN lower(g.finish_reason) = 'error' THEN 'failure' ELSE 'success' END AS status,
        -- Served from OpenRouter's response cache and billed nothing: the upstream was not
        -- called. A cached response that was billed is not treated as free.
        (llm_blank_null(g.response_cache_source_id) IS NOT NULL
            AND coalesce(llm_num(cost_j), 0) = 0) AS is_gateway_cache_hit,
        llm_blank_null(g.api_type) AS api_surface,
        CAST(NULL AS VARCHAR) AS team,
        CAST(NULL AS VARCHAR) AS feature,
        CAST(NULL AS VARCHAR) AS environment,
        CAST(NULL AS VARCHAR) AS project,
        llm_blank_null(g.session_id) AS session_id,
        CAST(NULL AS VARCHAR) AS trace_id,
        llm_blank_null(g.external_user) AS user_id,
        CAST(NULL AS VARCHAR) AS api_key_hash,
        map_from_entries(list_filter([
            {'k': 'upstream_provider', 'v': llm_blank_null(g.provider_name)},
            {'k': 'upstream_id', 'v': llm_blank_null(g.upstream_id)},
            {'k': 'openrouter_request_id', 'v': llm_blank_null(g.request_id)},
            {'k': 'upstream_inference_cost_usd', 'v': g.upstream_inference_cost ->> '$'},
            {'k': 'cache_discount_usd', 'v': g.cache_discount ->> '$'},
            {'k': 'is_byok', 'v': g.is_byok ->> '$'},
            {'k': 'app_id', 'v': llm_blank_null(g.app_id)},
            {'k': 'origin', 'v': llm_blank_null(g.origin)},
            {'k': 'streamed', 'v': g.streamed ->> '$'},
            {'k': 'cancelled', 'v': g.cancelled ->> '$'},
            {'k': 'finish_reason', 'v': llm_blank_null(g.finish_reason)},
            {'k': 'generation_time_ms', 'v': g.generation_time ->> '$'},
            {'k': 'num_search_results', 'v': g.num_search_results ->> '$'},
            {'k': 'response_cache_source_id', 'v': llm_blank_null(g.response_cache_source_id)},
            {'k': 'token_basis', 'v': CASE
                WHEN g.native_tokens_prompt IS NOT NULL AND json_type(g.native_tokens_prompt) <> 'NULL'
                    THEN 'native' WHEN prompt_j IS NOT NULL THEN 'normalized' END}
        ], lambda e: e.v IS NOT NULL AND e.v <> 'null')) AS tags,
        -- Same safety rule as litellm.sql: native_tokens_prompt follows the OpenAI convention
        -- (cached is a subset); when the cached count exceeds it, it was left out: add it back.
        CASE
            WHEN coalesce(llm_int(cached_j), 0) > llm_int(prompt_j)
                THEN llm_int(prompt_j) + llm_int(cached_j)
            ELSE llm_int(prompt_j)
        END AS input_tokens,
        coalesce(llm_int(cached_j), 0) AS cache_read_input_tokens,
        CAST(0 AS BIGINT) AS cache_creation_input_tokens,
        CAST(0 AS BIGINT) AS cache_creation_1h_input_tokens,
        -- native_tokens_completion includes reasoning; if reasoning exceeds it, it was not.
        CASE
            WHEN coalesce(llm_int(reasoning_j), 0) > llm_int(completion_j)
                THEN llm_int(completion_j) + llm_int(reasoning_j)
            ELSE llm_int(completion_j)
        END AS output_tokens,
        coalesce(llm_int(reasoning_j), 0) AS reasoning_output_tokens,
        -- num_search_results counts results (the web plugin bills per result), not tool calls.
        CAST(0 AS BIGINT) AS web_search_calls,
        llm_num(cost_j) AS reported_cost_usd,
        llm_num(cost_j) AS billed_cost_usd,
        CAST(gen_json AS VARCHAR) AS usage_raw,
        list_filter([
            llm_int_problem('native_tokens_prompt', prompt_j),
            llm_int_problem('native_tokens_completion', completion_j),
            llm_int_problem('native_tokens_cached', cached_j),
            llm_int_problem('native_tokens_reasoning', reasoning_j),
            llm_num_problem('total_cost', cost_j),
            llm_num_problem('upstream_inference_cost', g.upstream_inference_cost),
            llm_num_problem('latency', g.latency),
            llm_ts_zoned_problem('created_at', g.created_at)
        ], lambda p: p IS NOT NULL) AS problems
    FROM gen_tokens
),

-- (b) chat responses, bare or enveloped ------------------------------------------------------
chat_parts AS (
    SELECT
        source_line,
        json_exists(doc, '$.response') OR json_exists(doc, '$.started_at')
            OR json_exists(doc, '$.request_id') AS is_envelope,
        doc
    FROM kinds
    WHERE gen_json IS NULL
),

chat_fields AS (
    SELECT
        source_line,
        CASE WHEN is_envelope THEN from_json(doc, '{
            "request_id": "VARCHAR", "started_at": "VARCHAR", "ended_at": "VARCHAR",
            "status": "VARCHAR", "metadata": "JSON", "error": "JSON",
            "request": {"model": "VARCHAR", "service_tier": "VARCHAR", "user": "VARCHAR"}
        }') END AS env,
        CASE WHEN is_envelope THEN doc -> '$.response' ELSE doc END AS body
    FROM chat_parts
),

chat_body AS (
    SELECT
        source_line,
        env,
        body,
        from_json(body, '{
            "id": "VARCHAR", "object": "VARCHAR", "created": "JSON", "model": "VARCHAR",
            "provider": "VARCHAR", "service_tier": "VARCHAR", "error": "JSON",
            "choices": [{"finish_reason": "VARCHAR"}],
            "usage": {
                "prompt_tokens": "JSON", "completion_tokens": "JSON", "cost": "JSON",
                "is_byok": "JSON",
                "cost_details": {"upstream_inference_cost": "JSON"},
                "prompt_tokens_details": {"cached_tokens": "JSON", "cache_write_tokens": "JSON"},
                "completion_tokens_details": {"reasoning_tokens": "JSON"},
                "server_tool_use_details": {"web_search_requests": "JSON"}
            }
        }') AS b,
        coalesce(llm_string_map(env.metadata), MAP {}) AS md
    FROM chat_fields
),

chat_usage AS (
    SELECT
        *,
        b.usage.prompt_tokens AS prompt_j,
        b.usage.completion_tokens AS completion_j,
        b.usage.prompt_tokens_details.cached_tokens AS cached_j,
        b.usage.prompt_tokens_details.cache_write_tokens AS cache_write_j,
        b.usage.completion_tokens_details.reasoning_tokens AS reasoning_j,
        b.usage.server_tool_use_details.web_search_requests AS web_search_j,
        coalesce(llm_ts_zoned(env.started_at), TRY(to_timestamp(llm_num(b.created)))) AS started,
        llm_ts_zoned(env.ended_at) AS ended,
        CASE
            WHEN env.error IS NOT NULL AND json_type(env.error) <> 'NULL' THEN 'failure'
            WHEN b.error IS NOT NULL AND json_type(b.error) <> 'NULL' THEN 'failure'
            WHEN lower(env.status) IN ('failure', 'error', 'failed') THEN 'failure'
            -- a recorded cassette entry's status is the HTTP status
            WHEN TRY_CAST(env.status AS INTEGER) >= 400 THEN 'failure'
            WHEN list_contains(list_transform(coalesce(b.choices, []), lambda c: c.finish_reason), 'error')
                THEN 'failure'
            ELSE 'success'
        END AS request_status
    FROM chat_body
),

chat_final AS (
    SELECT
        source_line,
        0 AS source_item,
        coalesce(llm_blank_null(b.id), llm_blank_null(env.request_id)) AS request_id,
        started AS occurred_at,
        ended AS ended_at,
        date_diff('microsecond', started, ended) / 1000.0 AS latency_ms,
        'openrouter' AS provider,
        llm_blank_null(coalesce(b.model, env.request.model)) AS model_raw,
        llm_tier(coalesce(b.service_tier, env.request.service_tier)) AS service_tier,
        request_status AS status,
        false AS is_gateway_cache_hit,
        CASE WHEN b.object LIKE 'chat.completion%' THEN 'chat.completions' ELSE b.object END AS api_surface,
        md['team'] AS team,
        md['feature'] AS feature,
        coalesce(md['environment'], md['env']) AS environment,
        md['project'] AS project,
        coalesce(md['session_id'], md['session']) AS session_id,
        md['trace_id'] AS trace_id,
        coalesce(md['user_id'], md['user'], llm_blank_null(env.request.user)) AS user_id,
        CAST(NULL AS VARCHAR) AS api_key_hash,
        map_concat(md, map_from_entries(list_filter([
            {'k': 'upstream_provider', 'v': llm_blank_null(b.provider)},
            {'k': 'upstream_inference_cost_usd', 'v': b.usage.cost_details.upstream_inference_cost ->> '$'},
            {'k': 'is_byok', 'v': b.usage.is_byok ->> '$'},
            {'k': 'capture_request_id', 'v': CASE WHEN llm_blank_null(b.id) IS NOT NULL
                THEN llm_blank_null(env.request_id) END}
        ], lambda e: e.v IS NOT NULL AND e.v <> 'null'))) AS tags,
        -- OpenAI convention: cached and cache-write tokens are inside prompt_tokens. If they
        -- exceed it, the upstream's uncached count came through: add them back (litellm.sql).
        CASE
            WHEN coalesce(llm_int(cached_j), 0) + coalesce(llm_int(cache_write_j), 0) > llm_int(prompt_j)
                THEN llm_int(prompt_j) + coalesce(llm_int(cached_j), 0) + coalesce(llm_int(cache_write_j), 0)
            ELSE coalesce(llm_int(prompt_j), CASE WHEN request_status = 'failure' THEN 0 END)
        END AS input_tokens,
        coalesce(llm_int(cached_j), 0) AS cache_read_input_tokens,
        coalesce(llm_int(cache_write_j), 0) AS cache_creation_input_tokens,
        CAST(0 AS BIGINT) AS cache_creation_1h_input_tokens,
        coalesce(llm_int(completion_j), CASE WHEN request_status = 'failure' THEN 0 END) AS output_tokens,
        coalesce(llm_int(reasoning_j), 0) AS reasoning_output_tokens,
        coalesce(llm_int(web_search_j), 0) AS web_search_calls,
        llm_num(b.usage.cost) AS reported_cost_usd,
        llm_num(b.usage.cost) AS billed_cost_usd,
        CAST(body -> '$.usage' AS VARCHAR) AS usage_raw,
        list_filter([
            llm_int_problem('usage.prompt_tokens', prompt_j),
            llm_int_problem('usage.completion_tokens', completion_j),
            llm_int_problem('cached_tokens', cached_j),
            llm_int_problem('cache_write_tokens', cache_write_j),
            llm_int_problem('reasoning_tokens', reasoning_j),
            llm_int_problem('web_search_requests', web_search_j),
            llm_num_problem('usage.cost', b.usage.cost),
            llm_ts_zoned_problem('started_at', env.started_at),
            llm_ts_zoned_problem('ended_at', env.ended_at),
            CASE WHEN body IS NULL AND env.error IS NULL THEN
                llm_problem('missing_field', 'envelope has no response body') END
        ], lambda p: p IS NOT NULL) AS problems
    FROM chat_usage
)

SELECT * FROM gen_final
UNION ALL BY NAME
SELECT * FROM chat_final
