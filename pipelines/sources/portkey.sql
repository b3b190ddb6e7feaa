-- Portkey log exports (JSONL, in-app "Exports" or POST /v1/logs/exports) -> canonical requests.
-- - Request and response bodies come nested ({"request": {"body": ...}}) or flattened with a
--   dot in the key ({"request.body": ...}); either may be an object or JSON-encoded text.
-- - req_units / res_units are the prompt / completion token counts. Cache buckets come from an
--   OpenAI-style usage in response.body (prompt_tokens_details.cached_tokens /
--   cache_write_tokens; Anthropic-style cache_read_input_tokens / cache_creation_input_tokens
--   too). As in litellm.sql, cache reads + writes larger than the prompt mean the prompt count
--   is the uncached part: they are added back so input_tokens keeps the OTel meaning.
-- - cost is in CENTS of USD: reported_cost_usd = cost / 100 (a cost_currency other than USD
--   is not converted: reported_cost_usd stays NULL and tags keep cost + cost_currency).
-- - cache_status HIT / SEMANTIC HIT: Portkey answered from its own cache, the provider was not
--   called -> is_gateway_cache_hit (the warehouse prices it at 0). MISS / DISABLED: normal call.
-- - metadata (object or JSON text) carries attribution; keys are matched case-insensitively
--   and without Portkey's leading underscore (_user -> user).
-- - virtual_key is stored only as its sha256.
-- - created_at: RFC 3339 with a zone, epoch seconds, or naive text taken as UTC.
WITH fields AS (
    SELECT
        source_line,
        doc,
        from_json(doc, '{
            "id": "VARCHAR", "log_id": "VARCHAR", "request_id": "VARCHAR", "trace_id": "VARCHAR",
            "created_at": "JSON", "is_success": "JSON", "response_status_code": "JSON",
            "ai_org": "VARCHAR", "ai_model": "VARCHAR", "ai_org_model": "VARCHAR",
            "req_units": "JSON", "res_units": "JSON", "total_units": "JSON",
            "cost": "JSON", "cost_currency": "VARCHAR", "response_time": "JSON",
            "cache_status": "VARCHAR", "cache_type": "VARCHAR", "metadata": "JSON",
            "virtual_key": "VARCHAR", "request_url": "VARCHAR", "stream_mode": "JSON",
            "retry_success_count": "JSON", "config": "VARCHAR", "workspace_slug": "VARCHAR",
            "prompt_slug": "VARCHAR",
            "request.body": "JSON", "response.body": "JSON",
            "request": {"body": "JSON"}, "response": {"body": "JSON"}
        }') AS f
    FROM records
),

bodies AS (
    SELECT
        *,
        coalesce(llm_unwrap(f."response.body"), llm_unwrap(f.response.body)) AS response_json,
        coalesce(llm_unwrap(f."request.body"), llm_unwrap(f.request.body)) AS request_json,
        llm_unwrap(f.metadata) AS metadata_json
    FROM fields
),

parsed AS (
    SELECT
        *,
        from_json(response_json, '{
            "model": "VARCHAR", "object": "VARCHAR", "service_tier": "VARCHAR",
            "usage": {
                "prompt_tokens": "JSON", "completion_tokens": "JSON",
                "input_tokens": "JSON", "output_tokens": "JSON",
                "prompt_tokens_details": {"cached_tokens": "JSON", "cache_write_tokens": "JSON"},
                "input_tokens_details": {"cached_tokens": "JSON"},
                "cache_read_input_tokens": "JSON", "cache_creation_input_tokens": "JSON",
                "completion_tokens_details": {"reasoning_tokens": "JSON"},
                "output_tokens_details": {"reasoning_tokens": "JSON"}
            }
        }') AS r,
        from_json(request_json, '{"model": "VARCHAR", "user": "VARCHAR"}') AS q,
        coalesce(llm_string_map(metadata_json), MAP {}) AS md
    FROM bodies
),

lowered AS (
    SELECT
        *,
        list_transform(map_entries(md), lambda e: {
            'k': lower(ltrim(e.key, '_')), 'v': e.value
        }) AS md_list
    FROM parsed
),

prepared AS (
    SELECT
        *,
        map_from_entries(list_filter(md_list, lambda e, i:
            NOT list_contains(list_transform(md_list[1:i - 1], lambda x: x.k), e.k))) AS mm,
        llm_blank_null(coalesce(f.ai_model, nullif(split_part(f.ai_org_model, '__', 2), ''),
                                r.model, q.model)) AS model_name,
        CASE lower(coalesce(f.ai_org, nullif(split_part(f.ai_org_model, '__', 1), '')))
            WHEN 'azure-openai' THEN 'azure'
            WHEN 'vertex-ai' THEN 'vertex_ai'
            WHEN 'aws-bedrock' THEN 'bedrock'
            WHEN 'google' THEN 'gemini'
            ELSE coalesce(f.ai_org, nullif(split_part(f.ai_org_model, '__', 1), ''))
        END AS org,
        coalesce(f.req_units, r.usage.prompt_tokens, r.usage.input_tokens) AS prompt_j,
        coalesce(f.res_units, r.usage.completion_tokens, r.usage.output_tokens) AS completion_j,
        coalesce(r.usage.prompt_tokens_details.cached_tokens, r.usage.input_tokens_details.cached_tokens,
                 r.usage.cache_read_input_tokens) AS cache_read_j,
        coalesce(r.usage.prompt_tokens_details.cache_write_tokens, r.usage.cache_creation_input_tokens)
            AS cache_write_j,
        coalesce(r.usage.completion_tokens_details.reasoning_tokens,
                 r.usage.output_tokens_details.reasoning_tokens) AS reasoning_j,
        CASE
            WHEN lower(f.is_success ->> '$') IN ('0', 'false') THEN 'failure'
            WHEN llm_int(f.response_status_code) >= 400 THEN 'failure'
            ELSE 'success'
        END AS request_status,
        upper(coalesce(llm_blank_null(f.cost_currency), 'USD')) = 'USD' AS cost_in_usd,
        llm_ts_utc(f.created_at) AS started
    FROM lowered
),

final AS (
    SELECT
        source_line,
        0 AS source_item,
        coalesce(llm_blank_null(f.id), llm_blank_null(f.log_id), llm_blank_null(f.request_id)) AS request_id,
        started AS occurred_at,
        TRY(started + to_microseconds(CAST(round(llm_num(f.response_time) * 1000) AS BIGINT))) AS ended_at,
        llm_num(f.response_time) AS latency_ms,
        llm_provider(org, model_name) AS provider,
        model_name AS model_raw,
        llm_tier(r.service_tier) AS service_tier,
        request_status AS status,
        upper(trim(coalesce(f.cache_status, ''))) IN ('HIT', 'SEMANTIC HIT', 'SEMANTIC_HIT')
            AS is_gateway_cache_hit,
        CASE
            WHEN f.request_url LIKE '%/chat/completions%' THEN 'chat.completions'
            WHEN f.request_url LIKE '%/responses%' THEN 'responses'
            WHEN f.request_url LIKE '%/messages%' THEN 'messages'
            WHEN f.request_url LIKE '%/embeddings%' THEN 'embeddings'
            WHEN r.object LIKE 'chat.completion%' THEN 'chat.completions'
            ELSE r.object
        END AS api_surface,
        mm['team'] AS team,
        mm['feature'] AS feature,
        coalesce(mm['environment'], mm['env']) AS environment,
        mm['project'] AS project,
        coalesce(mm['session_id'], mm['session-id'], mm['session']) AS session_id,
        coalesce(llm_blank_null(f.trace_id), mm['trace_id']) AS trace_id,
        coalesce(mm['user'], mm['user_id'], llm_blank_null(q."user")) AS user_id,
        CASE WHEN llm_blank_null(f.virtual_key) IS NOT NULL THEN sha256(f.virtual_key) END AS api_key_hash,
        map_concat(md, map_from_entries(list_filter([
            {'k': 'cache_status', 'v': llm_blank_null(f.cache_status)},
            {'k': 'cache_type', 'v': llm_blank_null(f.cache_type)},
            {'k': 'cost_currency', 'v': llm_blank_null(f.cost_currency)},
            {'k': 'cost', 'v': CASE WHEN NOT cost_in_usd THEN f.cost ->> '$' END},
            {'k': 'stream_mode', 'v': f.stream_mode ->> '$'},
            {'k': 'retry_success_count', 'v': f.retry_success_count ->> '$'},
            {'k': 'config', 'v': llm_blank_null(f.config)},
            {'k': 'workspace_slug', 'v': llm_blank_null(f.workspace_slug)},
            {'k': 'prompt_slug', 'v': llm_blank_null(f.prompt_slug)},
            {'k': 'upstream_provider', 'v': llm_blank_null(f.ai_org)}
        ], lambda e: e.v IS NOT NULL AND e.v <> 'null'))) AS tags,
        CASE
            WHEN coalesce(llm_int(cache_read_j), 0) + coalesce(llm_int(cache_write_j), 0) > llm_int(prompt_j)
                THEN llm_int(prompt_j) + coalesce(llm_int(cache_read_j), 0) + coalesce(llm_int(cache_write_j), 0)
            ELSE coalesce(llm_int(prompt_j), CASE WHEN request_status = 'failure' THEN 0 END)
        END AS input_tokens,
        coalesce(llm_int(cache_read_j), 0) AS cache_read_input_tokens,
        coalesce(llm_int(cache_write_j), 0) AS cache_creation_input_tokens,
        CAST(0 AS BIGINT) AS cache_creation_1h_input_tokens,
        coalesce(llm_int(completion_j), CASE WHEN request_status = 'failure' THEN 0 END) AS output_tokens,
        coalesce(llm_int(reasoning_j), 0) AS reasoning_output_tokens,
        CAST(0 AS BIGINT) AS web_search_calls,
        CASE WHEN cost_in_usd THEN llm_num(f.cost) / 100.0 END AS reported_cost_usd,
        CAST(json_object(
            'req_units', f.req_units, 'res_units', f.res_units, 'total_units', f.total_units,
            'cost', f.cost, 'cost_currency', f.cost_currency, 'usage', response_json -> '$.usage'
        ) AS VARCHAR) AS usage_raw,
        list_filter([
            llm_int_problem('req_units', prompt_j),
            llm_int_problem('res_units', completion_j),
            llm_int_problem('cached_tokens', cache_read_j),
            llm_int_problem('cache_write_tokens', cache_write_j),
            llm_int_problem('reasoning_tokens', reasoning_j),
            llm_num_problem('cost', f.cost),
            llm_num_problem('response_time', f.response_time),
            llm_ts_utc_problem('created_at', f.created_at),
            llm_unwrap_problem('metadata', f.metadata),
            llm_unwrap_problem('response.body', coalesce(f."response.body", f.response.body))
        ], lambda p: p IS NOT NULL) AS problems
    FROM prepared
)

SELECT * FROM final
