-- OpenTelemetry GenAI spans in OTLP/JSON (the collector's file exporter) -> canonical requests.
-- A record is one OTLP document {"resourceSpans": [{"resource": {...}, "scopeSpans": [{"spans":
-- [...]}]}]}; it holds many spans. Each document is parsed once (from_json) and its spans are
-- unnested; source_item is the 0-based position of the span in the whole document (flattened
-- over resources and scopes, non-LLM spans included). Only LLM calls become rows:
--   - a span with token usage (gen_ai.usage.*, OpenInference llm.token_count.*), or a model
--     operation without it (gen_ai.operation.name chat / generate_content / text_completion /
--     embeddings / completion, openinference.span.kind LLM / EMBEDDING: no usage -> quarantined
--     as "no input token count", unless the span failed);
--   - HTTP, DB, agent and tool spans without usage carry no cost and are not records;
--   - no double count: a span with a DIRECT child span that reports usage in the same document
--     (an invoke_agent span summing its chat calls, a framework span wrapping the SDK's span)
--     is skipped, its children are counted. Across documents, files and runs the ingest carries
--     the rule on after this query (pipelines/ingest.py, Ingestor._mark_parent_spans: the
--     batch exporter writes a parent after its children), by positive token counts of loaded
--     spans. Limit: a usage span reached only through a span WITHOUT usage
--     (agent -> tool -> chat) does not hide the agent's own total.
--   - a document with resourceMetrics / resourceLogs only (same file exporter) is skipped; one
--     with none of the three is quarantined as not OTLP.
-- Tokens: OTel >= 1.40 input_tokens SHOULD include cache reads/writes and output_tokens the
-- reasoning, which is the canonical meaning. Older Anthropic/Gemini instrumentations report
-- input without the cache and output without the thoughts: when the parts exceed the total they
-- are added back (the parts smaller than the total cannot be told apart and are kept as is).
-- Attribute values are OTLP AnyValue; 64-bit ints come as strings or numbers (llm_int takes
-- both). Attribution: span attributes first, then resource attributes; service.name is the
-- feature when no feature key is set. request_id = <traceId>:<spanId> (ids lower-cased hex).
WITH docs AS (
    SELECT
        source_line,
        from_json(doc, '{
            "resourceSpans": [{
                "resource": {"attributes": [{"key": "VARCHAR", "value": {
                    "stringValue": "JSON", "intValue": "JSON", "doubleValue": "JSON", "boolValue": "JSON"}}]},
                "scopeSpans": [{"spans": [{
                    "traceId": "VARCHAR", "spanId": "VARCHAR", "parentSpanId": "VARCHAR",
                    "startTimeUnixNano": "JSON", "endTimeUnixNano": "JSON", "status": {"code": "JSON"},
                    "attributes": [{"key": "VARCHAR", "value": {
                        "stringValue": "JSON", "intValue": "JSON", "doubleValue": "JSON", "boolValue": "JSON"}}]
                }]}]
            }],
            "resourceMetrics": ["BOOLEAN"], "resourceLogs": ["BOOLEAN"]
        }') AS d
    FROM records
),

flat AS (
    SELECT
        source_line,
        d.resourceSpans IS NULL AND d.resourceMetrics IS NULL AND d.resourceLogs IS NULL AS not_otlp,
        d.resourceSpans AS resource_spans,
        -- How many spans each resource holds: source_item counts over the whole document.
        list_transform(d.resourceSpans, lambda rs: coalesce(list_sum(list_transform(rs.scopeSpans,
            lambda ss: len(ss.spans))), 0)) AS span_counts,
        -- <traceId>:<spanId> of every span that has a child reporting usage in this document.
        flatten(list_transform(d.resourceSpans, lambda rs: flatten(list_transform(rs.scopeSpans,
            lambda ss: list_transform(
                list_filter(ss.spans, lambda sp: nullif(sp.parentSpanId, '') IS NOT NULL
                    AND list_has_any(list_transform(sp.attributes, lambda a: a.key), [
                        'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens',
                        'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens',
                        'llm.token_count.prompt', 'llm.token_count.completion'])),
                lambda sp: lower(sp.traceId) || ':' || lower(sp.parentSpanId)))))) AS usage_parents
    FROM docs
),

resources AS (
    SELECT
        source_line,
        not_otlp,
        usage_parents,
        span_counts,
        unnest(CASE WHEN not_otlp THEN [NULL] ELSE resource_spans END) AS rs,
        generate_subscripts(CASE WHEN not_otlp THEN [NULL] ELSE resource_spans END, 1) AS ri
    FROM flat
),

resource_spans AS (
    SELECT
        source_line,
        not_otlp,
        usage_parents,
        coalesce(list_sum(span_counts[1:ri - 1]), 0) AS first_item,
        flatten(list_transform(rs.scopeSpans, lambda ss: ss.spans)) AS spans,
        -- Attributes are kept as two parallel lists, keys and values (the AnyValue's JSON
        -- scalar): looking a key up is list_position, and a repeated key (OTLP forbids it)
        -- reads as its first value instead of failing a MAP.
        list_transform(rs.resource.attributes, lambda a: a.key) AS rk,
        list_transform(rs.resource.attributes, lambda a: coalesce(a.value.stringValue, a.value.intValue,
                                                                  a.value.doubleValue, a.value.boolValue)) AS rv,
        list_transform(list_filter(rs.resource.attributes, lambda a: starts_with(a.key, 'llmcost.')),
            lambda a: {'k': a.key, 'v': coalesce(a.value.stringValue, a.value.intValue, a.value.doubleValue,
                                                 a.value.boolValue) ->> '$'}) AS res_llmcost
    FROM resources
),

span_rows AS (
    SELECT
        source_line,
        not_otlp,
        usage_parents,
        rk,
        rv,
        res_llmcost,
        unnest(CASE WHEN not_otlp THEN [NULL] ELSE spans END) AS sp,
        first_item + generate_subscripts(CASE WHEN not_otlp THEN [NULL] ELSE spans END, 1) - 1 AS source_item
    FROM resource_spans
),

candidates AS (
    SELECT
        *,
        lower(nullif(sp.traceId, '')) AS trace_hex,
        lower(nullif(sp.spanId, '')) AS span_hex,
        lower(nullif(sp.parentSpanId, '')) AS parent_hex,
        list_transform(sp.attributes, lambda a: a.key) AS k,
        sp.attributes[list_position(k, 'gen_ai.operation.name')].value.stringValue ->> '$' AS operation,
        upper(sp.attributes[list_position(k, 'openinference.span.kind')].value.stringValue ->> '$') AS oi_kind,
        list_has_any(k, ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens',
                         'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens',
                         'llm.token_count.prompt', 'llm.token_count.completion']) AS has_usage
    FROM span_rows
),

kept AS (
    SELECT
        *,
        list_transform(sp.attributes, lambda a: coalesce(a.value.stringValue, a.value.intValue,
                                                         a.value.doubleValue, a.value.boolValue)) AS v
    FROM candidates
    WHERE not_otlp
       OR ((has_usage
            OR lower(operation) IN ('chat', 'generate_content', 'text_completion', 'completion', 'embeddings')
            OR oi_kind IN ('LLM', 'EMBEDDING'))
           AND NOT coalesce(list_contains(usage_parents, trace_hex || ':' || span_hex), false))
),

-- Each count from the first attribute present (newest convention first), with its name for
-- the problem reasons.
tokens AS (
    SELECT
        *,
        v[list_position(k, 'gen_ai.usage.input_tokens')] AS in_1,
        v[list_position(k, 'gen_ai.usage.prompt_tokens')] AS in_2,
        v[list_position(k, 'llm.token_count.prompt')] AS in_3,
        v[list_position(k, 'gen_ai.usage.output_tokens')] AS out_1,
        v[list_position(k, 'gen_ai.usage.completion_tokens')] AS out_2,
        v[list_position(k, 'llm.token_count.completion')] AS out_3,
        v[list_position(k, 'gen_ai.usage.cache_read.input_tokens')] AS read_1,
        v[list_position(k, 'gen_ai.usage.cache_read_input_tokens')] AS read_2,
        v[list_position(k, 'llm.token_count.prompt_details.cache_read')] AS read_3,
        v[list_position(k, 'gen_ai.usage.cache_creation.input_tokens')] AS write_1,
        v[list_position(k, 'gen_ai.usage.cache_creation_input_tokens')] AS write_2,
        v[list_position(k, 'llm.token_count.prompt_details.cache_write')] AS write_3,
        v[list_position(k, 'gen_ai.usage.reasoning.output_tokens')] AS reason_1,
        v[list_position(k, 'gen_ai.usage.reasoning_tokens')] AS reason_2,
        v[list_position(k, 'llm.usage.reasoning_tokens')] AS reason_3,
        v[list_position(k, 'llm.token_count.completion_details.reasoning')] AS reason_4,
        v[list_position(k, 'llm.cost.total')] AS cost_1,
        v[list_position(k, 'gen_ai.usage.cost')] AS cost_2,
        -- Opt-in content attributes (JSON strings), for fingerprints only.
        v[list_position(k, 'gen_ai.input.messages')] ->> '$' AS input_messages_text,
        v[list_position(k, 'gen_ai.system_instructions')] ->> '$' AS system_text,
        v[list_position(k, 'gen_ai.tool.definitions')] ->> '$' AS tools_text,
        v[list_position(k, 'gen_ai.output.messages')] ->> '$' AS output_messages_text,
        json_object(
            'temperature', llm_num(v[list_position(k, 'gen_ai.request.temperature')]),
            'top_p', llm_num(v[list_position(k, 'gen_ai.request.top_p')]),
            'max_tokens', llm_num(v[list_position(k, 'gen_ai.request.max_tokens')]),
            'seed', llm_num(v[list_position(k, 'gen_ai.request.seed')])) AS request_params,
        list_transform(list_filter(sp.attributes, lambda a: starts_with(a.key, 'llmcost.')),
            lambda a: {'k': a.key, 'v': coalesce(a.value.stringValue, a.value.intValue, a.value.doubleValue,
                                                 a.value.boolValue) ->> '$'}) AS span_llmcost
    FROM kept
),

usage AS (
    SELECT
        *,
        coalesce(in_1, in_2, in_3) AS input_j,
        CASE WHEN in_1 IS NOT NULL THEN 'gen_ai.usage.input_tokens'
             WHEN in_2 IS NOT NULL THEN 'gen_ai.usage.prompt_tokens'
             ELSE 'llm.token_count.prompt' END AS input_key,
        coalesce(out_1, out_2, out_3) AS output_j,
        CASE WHEN out_1 IS NOT NULL THEN 'gen_ai.usage.output_tokens'
             WHEN out_2 IS NOT NULL THEN 'gen_ai.usage.completion_tokens'
             ELSE 'llm.token_count.completion' END AS output_key,
        coalesce(read_1, read_2, read_3) AS cache_read_j,
        CASE WHEN read_1 IS NOT NULL THEN 'gen_ai.usage.cache_read.input_tokens'
             WHEN read_2 IS NOT NULL THEN 'gen_ai.usage.cache_read_input_tokens'
             ELSE 'llm.token_count.prompt_details.cache_read' END AS cache_read_key,
        coalesce(write_1, write_2, write_3) AS cache_write_j,
        CASE WHEN write_1 IS NOT NULL THEN 'gen_ai.usage.cache_creation.input_tokens'
             WHEN write_2 IS NOT NULL THEN 'gen_ai.usage.cache_creation_input_tokens'
             ELSE 'llm.token_count.prompt_details.cache_write' END AS cache_write_key,
        coalesce(reason_1, reason_2, reason_3, reason_4) AS reasoning_j,
        CASE WHEN reason_1 IS NOT NULL THEN 'gen_ai.usage.reasoning.output_tokens'
             WHEN reason_2 IS NOT NULL THEN 'gen_ai.usage.reasoning_tokens'
             WHEN reason_3 IS NOT NULL THEN 'llm.usage.reasoning_tokens'
             ELSE 'llm.token_count.completion_details.reasoning' END AS reasoning_key,
        coalesce(cost_1, cost_2) AS cost_j,
        CASE WHEN cost_1 IS NOT NULL THEN 'llm.cost.total' ELSE 'gen_ai.usage.cost' END AS cost_key,
        CASE WHEN json_type(sp.startTimeUnixNano) = 'VARCHAR'
                  AND regexp_full_match(sp.startTimeUnixNano ->> '$', '[0-9]{1,19}')
                 THEN TRY_CAST(sp.startTimeUnixNano ->> '$' AS BIGINT)
             WHEN json_type(sp.startTimeUnixNano) IN ('UBIGINT', 'BIGINT')
                 THEN TRY_CAST(sp.startTimeUnixNano AS BIGINT) END AS start_ns,
        CASE WHEN json_type(sp.endTimeUnixNano) = 'VARCHAR'
                  AND regexp_full_match(sp.endTimeUnixNano ->> '$', '[0-9]{1,19}')
                 THEN TRY_CAST(sp.endTimeUnixNano ->> '$' AS BIGINT)
             WHEN json_type(sp.endTimeUnixNano) IN ('UBIGINT', 'BIGINT')
                 THEN TRY_CAST(sp.endTimeUnixNano AS BIGINT) END AS end_ns,
        -- Status code 2 = ERROR (a number in OTLP/JSON; the enum name from protobuf printers).
        CASE WHEN sp.status.code ->> '$' IN ('2', 'STATUS_CODE_ERROR') THEN 'failure'
             WHEN coalesce(v[list_position(k, 'error.type')] ->> '$', '') <> '' THEN 'failure'
             ELSE 'success' END AS span_status,
        coalesce(v[list_position(k, 'gen_ai.response.model')], v[list_position(k, 'gen_ai.request.model')],
                 v[list_position(k, 'llm.model_name')], v[list_position(k, 'embedding.model_name')])
            ->> '$' AS model,
        -- Modest tags: the resource's service and environment, what reassembles the trace, and
        -- every llmcost.* key (span over resource).
        list_concat(
            list_filter([
                {'k': 'service.name', 'v': rv[list_position(rk, 'service.name')] ->> '$'},
                {'k': 'deployment.environment', 'v': rv[list_position(rk, 'deployment.environment')] ->> '$'},
                {'k': 'deployment.environment.name',
                 'v': rv[list_position(rk, 'deployment.environment.name')] ->> '$'},
                {'k': 'parent_span_id', 'v': parent_hex},
                {'k': 'gen_ai.operation.name', 'v': operation}], lambda e: e.v IS NOT NULL),
            span_llmcost,
            list_filter(res_llmcost, lambda e: NOT list_contains(list_transform(span_llmcost, lambda x: x.k), e.k))
        ) AS tag_entries,
        llm_int(input_j) AS input_n,
        llm_int(output_j) AS output_n,
        llm_int(cache_read_j) AS cache_read_n,
        llm_int(cache_write_j) AS cache_write_n,
        llm_int(reasoning_j) AS reasoning_n
    FROM tokens
),

final AS (
    SELECT
        source_line,
        source_item,
        trace_hex || ':' || span_hex AS request_id,
        CASE WHEN start_ns > 0 THEN timezone('UTC', make_timestamp(start_ns // 1000)) END AS occurred_at,
        CASE WHEN end_ns > 0 THEN timezone('UTC', make_timestamp(end_ns // 1000)) END AS ended_at,
        CASE WHEN start_ns > 0 AND end_ns > 0 THEN (end_ns - start_ns) / 1e6 END AS latency_ms,
        llm_provider(coalesce(v[list_position(k, 'gen_ai.provider.name')], v[list_position(k, 'gen_ai.system')],
                              v[list_position(k, 'llm.provider')], v[list_position(k, 'llm.system')]) ->> '$',
                     model) AS provider,
        llm_blank_null(model) AS model_raw,
        llm_tier(coalesce(v[list_position(k, 'openai.response.service_tier')],
                          v[list_position(k, 'gen_ai.openai.response.service_tier')],
                          v[list_position(k, 'openai.request.service_tier')],
                          v[list_position(k, 'gen_ai.openai.request.service_tier')]) ->> '$') AS service_tier,
        span_status AS status,
        false AS is_gateway_cache_hit,
        lower(coalesce(operation, oi_kind)) AS api_surface,
        -- Attribution: span attributes first, then the resource's.
        coalesce(v[list_position(k, 'llmcost.team')], v[list_position(k, 'team')], v[list_position(k, 'app.team')],
                 rv[list_position(rk, 'llmcost.team')], rv[list_position(rk, 'team')],
                 rv[list_position(rk, 'app.team')]) ->> '$' AS team,
        -- No feature key anywhere: the emitting service (resource service.name) is the feature.
        coalesce(v[list_position(k, 'llmcost.feature')], v[list_position(k, 'feature')],
                 v[list_position(k, 'app.feature')], rv[list_position(rk, 'llmcost.feature')],
                 rv[list_position(rk, 'feature')], rv[list_position(rk, 'app.feature')],
                 rv[list_position(rk, 'service.name')]) ->> '$' AS feature,
        coalesce(v[list_position(k, 'llmcost.environment')], v[list_position(k, 'deployment.environment.name')],
                 v[list_position(k, 'deployment.environment')], rv[list_position(rk, 'llmcost.environment')],
                 rv[list_position(rk, 'deployment.environment.name')],
                 rv[list_position(rk, 'deployment.environment')]) ->> '$' AS environment,
        coalesce(v[list_position(k, 'llmcost.project')], v[list_position(k, 'project')],
                 rv[list_position(rk, 'llmcost.project')], rv[list_position(rk, 'project')]) ->> '$' AS project,
        coalesce(v[list_position(k, 'gen_ai.conversation.id')], v[list_position(k, 'session.id')],
                 v[list_position(k, 'llmcost.session_id')], rv[list_position(rk, 'session.id')],
                 rv[list_position(rk, 'llmcost.session_id')]) ->> '$' AS session_id,
        trace_hex AS trace_id,
        coalesce(v[list_position(k, 'user.id')], v[list_position(k, 'enduser.id')],
                 v[list_position(k, 'gen_ai.user.id')], v[list_position(k, 'llmcost.user_id')],
                 rv[list_position(rk, 'user.id')], rv[list_position(rk, 'enduser.id')],
                 rv[list_position(rk, 'llmcost.user_id')]) ->> '$' AS user_id,
        CAST(NULL AS VARCHAR) AS api_key_hash,
        -- (a key an attribute list repeats, which OTLP forbids, keeps its first value)
        coalesce(TRY(map_from_entries(tag_entries)), map_from_entries(list_filter(tag_entries,
            lambda e, i: list_position(list_transform(tag_entries, lambda x: x.k), e.k) = i))) AS tags,
        -- Older Anthropic instrumentations report input without the cache: when reads + writes
        -- exceed it they are added back (same safety as the LiteLLM adapter).
        CASE
            WHEN coalesce(cache_read_n, 0) + coalesce(cache_write_n, 0) > input_n
                THEN input_n + coalesce(cache_read_n, 0) + coalesce(cache_write_n, 0)
            ELSE coalesce(input_n, CASE WHEN span_status = 'failure' THEN 0 END)
        END AS input_tokens,
        coalesce(cache_read_n, 0) AS cache_read_input_tokens,
        coalesce(cache_write_n, 0) AS cache_creation_input_tokens,
        CAST(0 AS BIGINT) AS cache_creation_1h_input_tokens,
        -- Pre-1.41 Gemini instrumentations report output without the thoughts: same safety.
        CASE
            WHEN reasoning_n > output_n THEN output_n + reasoning_n
            ELSE coalesce(output_n, CASE WHEN span_status = 'failure'
                OR lower(coalesce(operation, oi_kind)) IN ('embeddings', 'embedding') THEN 0 END)
        END AS output_tokens,
        coalesce(reasoning_n, 0) AS reasoning_output_tokens,
        CAST(0 AS BIGINT) AS web_search_calls,
        llm_num(cost_j) AS reported_cost_usd,
        -- The usage attributes as a JSON object, for audit.
        '{' || array_to_string(list_transform(list_filter(sp.attributes, lambda a:
                starts_with(a.key, 'gen_ai.usage.') OR starts_with(a.key, 'llm.token_count.')
                OR starts_with(a.key, 'llm.usage.') OR starts_with(a.key, 'llm.cost.')),
            lambda a: to_json(a.key) || ':' || coalesce(a.value.stringValue, a.value.intValue,
                a.value.doubleValue, a.value.boolValue, 'null')), ',') || '}' AS usage_raw,
        CASE WHEN json_valid(system_text) THEN CAST(system_text AS JSON) END AS prompt_system,
        CASE WHEN json_valid(input_messages_text) THEN CAST(input_messages_text AS JSON) END
            AS prompt_messages,
        CASE WHEN json_valid(tools_text) THEN CAST(tools_text AS JSON) END AS prompt_tools,
        request_params AS prompt_params,
        CASE WHEN json_valid(output_messages_text) THEN nullif(array_to_string(list_filter(
            json_extract_string(output_messages_text, '$[*].parts[*].content'),
            lambda t: t IS NOT NULL), chr(10)), '') END AS response_text,
        CASE WHEN json_valid(output_messages_text) THEN list_contains(
            json_extract_string(output_messages_text, '$[*].parts[*].type'), 'tool_call')
            END AS response_tool_calls,
        list_filter([
            CASE WHEN not_otlp THEN llm_problem('not_a_record',
                'not an OTLP/JSON document: no resourceSpans list (nor resourceMetrics / resourceLogs)') END,
            -- (llm_int_problem only where the value is not a valid count: the common case is free)
            CASE WHEN input_j IS NOT NULL AND coalesce(input_n, -1) < 0 THEN llm_int_problem(input_key, input_j) END,
            CASE WHEN output_j IS NOT NULL AND coalesce(output_n, -1) < 0 THEN llm_int_problem(output_key, output_j) END,
            CASE WHEN cache_read_j IS NOT NULL AND coalesce(cache_read_n, -1) < 0
                THEN llm_int_problem(cache_read_key, cache_read_j) END,
            CASE WHEN cache_write_j IS NOT NULL AND coalesce(cache_write_n, -1) < 0
                THEN llm_int_problem(cache_write_key, cache_write_j) END,
            CASE WHEN reasoning_j IS NOT NULL AND coalesce(reasoning_n, -1) < 0
                THEN llm_int_problem(reasoning_key, reasoning_j) END,
            CASE WHEN cost_j IS NOT NULL THEN llm_num_problem(cost_key, cost_j) END,
            CASE WHEN not_otlp THEN NULL
                 WHEN sp.startTimeUnixNano IS NULL OR json_type(sp.startTimeUnixNano) = 'NULL'
                     THEN llm_problem('missing_timestamp', 'span has no startTimeUnixNano')
                 WHEN start_ns IS NULL THEN llm_problem('bad_timestamp',
                    'startTimeUnixNano ' || left(CAST(sp.startTimeUnixNano AS VARCHAR), 40)
                    || ' is not a whole number of nanoseconds')
                 WHEN start_ns = 0 THEN llm_problem('missing_timestamp', 'startTimeUnixNano is 0 (unset)') END,
            CASE WHEN json_type(sp.endTimeUnixNano) NOT IN ('NULL') AND end_ns IS NULL
                THEN llm_problem('bad_timestamp', 'endTimeUnixNano '
                    || left(CAST(sp.endTimeUnixNano AS VARCHAR), 40) || ' is not a whole number of nanoseconds') END
        ], lambda p: p IS NOT NULL) AS problems
    FROM usage
)

SELECT * FROM final
