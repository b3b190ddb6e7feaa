-- AWS Bedrock -> canonical requests. Three record shapes share this adapter:
-- 1. Model invocation log records (schemaType "ModelInvocationLog"; S3 delivery writes them one
--    per line in .json.gz files). A CloudWatch Logs dump ({"events"|"logEvents": [{"message":
--    "<record as JSON text>"}]}) holds several: one row per event (source_item = its index).
-- 2. Converse / InvokeModel responses in the llmcost capture envelope (model id in
--    request.modelId; a boto3 response dict's ResponseMetadata.RequestId is the request id
--    when the envelope has none). A Bedrock body has neither a time nor the model id, so a
--    bare body is quarantined.
-- Bedrock's input counts EXCLUDE prompt-cache reads and writes (input.inputTokenCount, Converse
-- usage.inputTokens, Anthropic usage.input_tokens alike): the OTel input_tokens is
-- input + cache read + cache write. Converse on the real wire spells the cache counts twice
-- (cacheReadInputTokens and cacheReadInputTokenCount, same value): one is taken, never both.
-- The 1-hour part of cache writes exists only in the body: Converse usage.cacheDetails[ttl=1h],
-- Anthropic usage.cache_creation.ephemeral_1h_input_tokens (in message_start when streamed).
-- A log record's top-level counts are what AWS bills; the body's usage is the fallback.
-- A guardrail that blocks the input stops the model: such a record may carry no token count
-- and is stored with 0 model tokens (guardrail policy units are billed apart, not modelled).
-- Records are parsed from `raw`, the line's text (`doc` is the same text typed JSON; every
-- JSON function parses its input either way).
WITH wrapped AS (
    SELECT
        source_line,
        raw,
        -- The substring test (a literal "events" key cannot occur inside a JSON string, its
        -- quotes would be escaped) spares every plain record a parse.
        CASE WHEN contains(raw, '"logEvents"') OR contains(raw, '"events"')
             THEN coalesce(raw -> '$.logEvents', raw -> '$.events') END AS events
    FROM records
),

-- One pass (a second scan of `records` would materialise every document): a plain record
-- unnests to one row with event_no NULL, a CloudWatch dump to one row per event.
numbered AS (
    SELECT
        source_line,
        raw,
        events,
        unnest(CASE WHEN json_type(events) = 'ARRAY' AND json_array_length(events) > 0
                    THEN range(1, CAST(json_array_length(events) AS BIGINT) + 1)
                    ELSE [CAST(NULL AS BIGINT)] END) AS event_no
    FROM wrapped
),

units AS (
    SELECT
        source_line,
        coalesce(event_no - 1, 0) AS source_item,
        CASE WHEN event_no IS NULL THEN raw
             ELSE CAST(llm_unwrap(events -> ('$[' || CAST(event_no - 1 AS VARCHAR) || '].message'))
                       AS VARCHAR)
        END AS rec,
        CASE WHEN event_no IS NOT NULL
             THEN events -> ('$[' || CAST(event_no - 1 AS VARCHAR) || '].message')
        END AS message
    FROM numbered
),

parsed AS (
    SELECT
        source_line,
        source_item,
        message,
        from_json(rec, '{
            "schemaType": "VARCHAR", "timestamp": "VARCHAR", "accountId": "VARCHAR",
            "identity": {"arn": "VARCHAR"}, "region": "VARCHAR", "requestId": "VARCHAR",
            "operation": "VARCHAR", "modelId": "VARCHAR", "errorCode": "VARCHAR",
            "requestMetadata": "JSON", "performanceConfig": {"latency": "VARCHAR"},
            "input": {"inputTokenCount": "JSON", "cacheReadInputTokenCount": "JSON",
                      "cacheWriteInputTokenCount": "JSON"},
            "output": {"outputTokenCount": "JSON", "outputBodyJson": "JSON"},
            "request_id": "VARCHAR", "started_at": "VARCHAR", "ended_at": "VARCHAR",
            "provider": "VARCHAR", "service_tier": "VARCHAR", "status": "VARCHAR",
            "metadata": "JSON", "error": "JSON", "response": "JSON",
            "request": {"modelId": "VARCHAR", "model": "VARCHAR", "requestMetadata": "JSON"}
        }') AS f,
        rec
    FROM units
),

kinds AS (
    SELECT
        *,
        CASE
            WHEN message IS NOT NULL OR f.schemaType IS NOT NULL OR (f.modelId IS NOT NULL
                                              AND f.input.inputTokenCount IS NOT NULL) THEN 'log'
            -- A bare body can be an error ({"message": ...}); only an object without body keys
            -- and with response/error is an envelope.
            WHEN f.response IS NOT NULL
                OR (f.error IS NOT NULL AND NOT json_exists(rec, '$.usage')) THEN 'envelope'
            ELSE 'body'
        END AS kind
    FROM parsed
),

bodies AS (
    SELECT
        *,
        CASE kind
            WHEN 'log' THEN f.output.outputBodyJson
            WHEN 'envelope' THEN f.response
            ELSE rec
        END AS body,
        -- The request body (invocation log inputBodyJson, or the envelope's request), in the
        -- Anthropic Messages or Converse shape.
        CASE kind
            WHEN 'log' THEN json_extract(rec, '$.input.inputBodyJson')
            WHEN 'envelope' THEN json_extract(rec, '$.request')
        END AS request_body
    FROM kinds
),

body_fields AS (
    SELECT
        *,
        from_json(body, '{
            "id": "VARCHAR", "model": "VARCHAR", "stopReason": "VARCHAR",
            "amazon-bedrock-guardrailAction": "VARCHAR",
            "metrics": {"latencyMs": "JSON"}, "serviceTier": {"type": "VARCHAR"},
            "performanceConfig": {"latency": "VARCHAR"}, "output": {"message": "JSON"},
            "usage": {
                "inputTokens": "JSON", "outputTokens": "JSON",
                "cacheReadInputTokens": "JSON", "cacheReadInputTokenCount": "JSON",
                "cacheWriteInputTokens": "JSON", "cacheWriteInputTokenCount": "JSON",
                "cacheDetails": [{"ttl": "VARCHAR", "inputTokens": "JSON"}],
                "input_tokens": "JSON", "output_tokens": "JSON",
                "cache_read_input_tokens": "JSON", "cache_creation_input_tokens": "JSON",
                "cache_creation": {"ephemeral_1h_input_tokens": "JSON"}
            },
            "inputTextTokenCount": "JSON", "results": [{"tokenCount": "JSON"}],
            "prompt_token_count": "JSON", "generation_token_count": "JSON",
            "ResponseMetadata": {"RequestId": "VARCHAR"}
        }') AS b,
        -- *WithResponseStream / ConverseStream bodies are the array of stream events.
        CASE WHEN json_type(body) = 'ARRAY' THEN {
            'start_usage': from_json(json_extract(body, '$[*].message.usage')[1], '{
                "input_tokens": "JSON", "cache_read_input_tokens": "JSON",
                "cache_creation_input_tokens": "JSON",
                "cache_creation": {"ephemeral_1h_input_tokens": "JSON"}}'),
            'model': json_extract_string(body, '$[*].message.model')[1],
            'output_tokens': list_max(list_transform(
                json_extract(body, '$[*].usage.output_tokens'), lambda j: llm_int(j))),
            'metrics': from_json(json_extract(body, '$[*]."amazon-bedrock-invocationMetrics"')[-1], '{
                "inputTokenCount": "JSON", "outputTokenCount": "JSON",
                "cacheReadInputTokenCount": "JSON", "cacheWriteInputTokenCount": "JSON",
                "invocationLatency": "JSON"}'),
            'converse_usage': from_json(json_extract(body, '$[*].metadata.usage')[-1], '{
                "inputTokens": "JSON", "outputTokens": "JSON",
                "cacheReadInputTokens": "JSON", "cacheReadInputTokenCount": "JSON",
                "cacheWriteInputTokens": "JSON", "cacheWriteInputTokenCount": "JSON",
                "cacheDetails": [{"ttl": "VARCHAR", "inputTokens": "JSON"}]}'),
            'guardrail': list_contains(json_extract_string(
                body, '$[*]."amazon-bedrock-guardrailAction"'), 'INTERVENED')
        } END AS s
    FROM bodies
),

counts AS (
    SELECT
        *,
        -- Body usage, whichever schema the body has (Converse, Anthropic Messages, Titan, Llama,
        -- or stream events); only a fallback for a log record.
        coalesce(b.usage.inputTokens, b.usage.input_tokens, s.start_usage.input_tokens,
                 s.metrics.inputTokenCount, s.converse_usage.inputTokens,
                 b.inputTextTokenCount, b.prompt_token_count) AS body_uncached_j,
        coalesce(b.usage.cacheReadInputTokens, b.usage.cacheReadInputTokenCount,
                 b.usage.cache_read_input_tokens, s.start_usage.cache_read_input_tokens,
                 s.metrics.cacheReadInputTokenCount, s.converse_usage.cacheReadInputTokens,
                 s.converse_usage.cacheReadInputTokenCount) AS body_read_j,
        coalesce(b.usage.cacheWriteInputTokens, b.usage.cacheWriteInputTokenCount,
                 b.usage.cache_creation_input_tokens, s.start_usage.cache_creation_input_tokens,
                 s.metrics.cacheWriteInputTokenCount, s.converse_usage.cacheWriteInputTokens,
                 s.converse_usage.cacheWriteInputTokenCount) AS body_write_j,
        coalesce(b.usage.outputTokens, b.usage.output_tokens, s.metrics.outputTokenCount,
                 s.converse_usage.outputTokens, b.generation_token_count) AS body_output_j,
        coalesce(
            llm_int(b.usage.cache_creation.ephemeral_1h_input_tokens),
            llm_int(s.start_usage.cache_creation.ephemeral_1h_input_tokens),
            list_sum(list_transform(list_filter(
                coalesce(b.usage.cacheDetails, s.converse_usage.cacheDetails, []),
                lambda d: d.ttl = '1h'), lambda d: llm_int(d.inputTokens)))
        ) AS body_1h,
        -- Titan text: one tokenCount per result.
        list_sum(list_transform(b.results, lambda r: llm_int(r.tokenCount))) AS titan_output,
        coalesce(b."amazon-bedrock-guardrailAction" = 'INTERVENED'
                 OR b.stopReason = 'guardrail_intervened' OR s.guardrail, false) AS is_blocked,
        CASE
            WHEN kind = 'log' AND llm_blank_null(f.errorCode) IS NOT NULL THEN 'failure'
            WHEN f.error IS NOT NULL AND json_type(f.error) <> 'NULL' THEN 'failure'
            WHEN lower(f.status) IN ('failure', 'error', 'failed') THEN 'failure'
            ELSE 'success'
        END AS request_status,
        CASE WHEN kind = 'log' THEN f.modelId
             ELSE coalesce(f.request.modelId, f.request.model, b.model, s.model) END AS model_id,
        CASE WHEN kind = 'log' THEN f.requestMetadata
             ELSE f.request.requestMetadata END AS request_metadata
    FROM body_fields
),

tokens AS (
    SELECT
        *,
        -- A log record's own count wins; the body's is the fallback. The name of the field
        -- actually read goes into any problem reason.
        CASE WHEN kind = 'log' AND f.input.inputTokenCount IS NOT NULL
             THEN 'input.inputTokenCount' ELSE 'usage input tokens' END AS uncached_field,
        CASE WHEN kind = 'log' AND f.input.cacheReadInputTokenCount IS NOT NULL
             THEN 'input.cacheReadInputTokenCount' ELSE 'usage cache read tokens' END AS read_field,
        CASE WHEN kind = 'log' AND f.input.cacheWriteInputTokenCount IS NOT NULL
             THEN 'input.cacheWriteInputTokenCount' ELSE 'usage cache write tokens' END AS write_field,
        CASE WHEN kind = 'log' AND f.output.outputTokenCount IS NOT NULL
             THEN 'output.outputTokenCount' ELSE 'usage output tokens' END AS output_field,
        CASE WHEN kind = 'log' THEN coalesce(f.input.inputTokenCount, body_uncached_j)
             ELSE body_uncached_j END AS uncached_j,
        CASE WHEN kind = 'log' THEN coalesce(f.input.cacheReadInputTokenCount, body_read_j)
             ELSE body_read_j END AS read_j,
        CASE WHEN kind = 'log' THEN coalesce(f.input.cacheWriteInputTokenCount, body_write_j)
             ELSE body_write_j END AS write_j,
        CASE WHEN kind = 'log' THEN coalesce(f.output.outputTokenCount, body_output_j)
             ELSE body_output_j END AS output_j,
        -- An application inference profile ARN does not name the model: an Anthropic body
        -- does (its "model"); otherwise the ARN stays the model and the request is unpriced.
        -- Foundation-model and system inference-profile ARNs end with the model id.
        CASE
            WHEN NOT starts_with(model_id, 'arn:') THEN model_id
            WHEN regexp_matches(model_id,
                    '^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(foundation-model|inference-profile)/.')
                THEN regexp_extract(model_id, '/(.+)$', 1)
            WHEN model_id LIKE 'arn:%:application-inference-profile/%'
                THEN coalesce(b.model, s.model, model_id)
            ELSE model_id
        END AS resolved_model,
        -- Tags: AWS context, then the requestMetadata map passed on Converse, then the
        -- envelope's metadata (a later key wins; a JSON null drops nothing that is absent).
        llm_string_map(json_merge_patch(
            '{}',
            json_object('aws.account_id', f.accountId, 'aws.region', f.region,
                        'aws.identity_arn', f.identity.arn,
                        'aws.model_arn', CASE WHEN starts_with(model_id, 'arn:') THEN model_id END),
            CASE WHEN json_type(request_metadata) = 'OBJECT' THEN request_metadata ELSE '{}' END,
            CASE WHEN json_type(f.metadata) = 'OBJECT' THEN f.metadata ELSE '{}' END
        )) AS md
    FROM counts
),

ints AS (
    SELECT
        *,
        llm_int(uncached_j) AS uncached,
        llm_int(read_j) AS cache_read,
        llm_int(write_j) AS cache_write,
        llm_int(output_j) AS output
    FROM tokens
),

final AS (
    SELECT
        source_line,
        source_item,
        coalesce(llm_blank_null(f.requestId), llm_blank_null(f.request_id),
                 llm_blank_null(b.ResponseMetadata.RequestId), llm_blank_null(b.id)) AS request_id,
        CASE WHEN kind = 'log' THEN llm_ts_zoned(f.timestamp) ELSE llm_ts_zoned(f.started_at) END
            AS occurred_at,
        llm_ts_zoned(f.ended_at) AS ended_at,
        coalesce(
            date_diff('microsecond', llm_ts_zoned(f.started_at), llm_ts_zoned(f.ended_at)) / 1000.0,
            llm_num(b.metrics.latencyMs), llm_num(s.metrics.invocationLatency)) AS latency_ms,
        CASE WHEN kind = 'log' THEN 'aws_bedrock'
             ELSE llm_provider(coalesce(f.provider, 'aws_bedrock'), resolved_model) END AS provider,
        llm_blank_null(resolved_model) AS model_raw,
        llm_tier(coalesce(
            f.service_tier,
            b.serviceTier.type,
            -- Latency-optimized inference has its own (higher) price: kept visible, unpriced.
            CASE WHEN lower(coalesce(f.performanceConfig.latency, b.performanceConfig.latency))
                = 'optimized' THEN 'latency_optimized' END
        )) AS service_tier,
        request_status AS status,
        false AS is_gateway_cache_hit,
        CASE
            WHEN kind = 'log' THEN f.operation
            WHEN b.output.message IS NOT NULL OR b.usage.inputTokens IS NOT NULL THEN 'Converse'
            ELSE 'InvokeModel'
        END AS api_surface,
        md['team'] AS team,
        md['feature'] AS feature,
        coalesce(md['environment'], md['env']) AS environment,
        -- The AWS account is the billing unit (what Cost Explorer groups by).
        coalesce(md['project'], f.accountId) AS project,
        coalesce(md['session_id'], md['session']) AS session_id,
        md['trace_id'] AS trace_id,
        coalesce(md['user_id'], md['user']) AS user_id,
        CAST(NULL AS VARCHAR) AS api_key_hash,
        coalesce(md, MAP {}) AS tags,
        coalesce(uncached + coalesce(cache_read, 0) + coalesce(cache_write, 0),
                 CASE WHEN request_status = 'failure' OR is_blocked THEN 0 END) AS input_tokens,
        coalesce(cache_read, 0) AS cache_read_input_tokens,
        coalesce(cache_write, 0) AS cache_creation_input_tokens,
        coalesce(body_1h, 0) AS cache_creation_1h_input_tokens,
        coalesce(output, titan_output,
                 -- Embeddings log an input count and no output count: they have no output.
                 CASE WHEN request_status = 'failure' OR is_blocked OR uncached IS NOT NULL
                      THEN 0 END) AS output_tokens,
        CAST(0 AS BIGINT) AS reasoning_output_tokens,
        CAST(0 AS BIGINT) AS web_search_calls,
        CAST(NULL AS DOUBLE) AS reported_cost_usd,
        CASE
            WHEN kind = 'log' THEN CAST(json_object(
                'inputTokenCount', f.input.inputTokenCount,
                'cacheReadInputTokenCount', f.input.cacheReadInputTokenCount,
                'cacheWriteInputTokenCount', f.input.cacheWriteInputTokenCount,
                'outputTokenCount', f.output.outputTokenCount,
                'bodyUsage', body -> '$.usage') AS VARCHAR)
            ELSE CAST(body -> '$.usage' AS VARCHAR)
        END AS usage_raw,
        -- The prompt, for fingerprints only (Converse keeps tools in toolConfig).
        json_extract(request_body, '$.system') AS prompt_system,
        json_extract(request_body, '$.messages') AS prompt_messages,
        coalesce(json_extract(request_body, '$.tools'),
                 json_extract(request_body, '$.toolConfig.tools')) AS prompt_tools,
        request_body AS prompt_params,
        nullif(array_to_string(coalesce(
            json_extract_string(body, '$.output.message.content[*].text'),
            json_extract_string(body, '$.content[*].text')), chr(10)), '') AS response_text,
        list_contains(json_extract_string(body, '$.content[*].type'), 'tool_use')
            OR len(json_extract(body, '$.output.message.content[*].toolUse')) > 0
            AS response_tool_calls,
        list_filter([
            llm_unwrap_problem('CloudWatch event message', message),
            llm_int_problem(uncached_field, uncached_j),
            llm_int_problem(read_field, read_j),
            llm_int_problem(write_field, write_j),
            llm_int_problem(output_field, output_j),
            CASE WHEN llm_int(b.usage.cacheReadInputTokens) <> llm_int(b.usage.cacheReadInputTokenCount)
                THEN llm_problem('inconsistent_tokens', 'usage.cacheReadInputTokens ('
                    || CAST(llm_int(b.usage.cacheReadInputTokens) AS VARCHAR)
                    || ') and usage.cacheReadInputTokenCount ('
                    || CAST(llm_int(b.usage.cacheReadInputTokenCount) AS VARCHAR)
                    || ') disagree') END,
            CASE WHEN llm_int(b.usage.cacheWriteInputTokens) <> llm_int(b.usage.cacheWriteInputTokenCount)
                THEN llm_problem('inconsistent_tokens', 'usage.cacheWriteInputTokens ('
                    || CAST(llm_int(b.usage.cacheWriteInputTokens) AS VARCHAR)
                    || ') and usage.cacheWriteInputTokenCount ('
                    || CAST(llm_int(b.usage.cacheWriteInputTokenCount) AS VARCHAR)
                    || ') disagree') END,
            CASE WHEN kind = 'log' THEN llm_ts_zoned_problem('timestamp', f.timestamp) END,
            CASE WHEN kind <> 'log' THEN llm_ts_zoned_problem('started_at', f.started_at) END,
            llm_ts_zoned_problem('ended_at', f.ended_at),
            CASE WHEN kind <> 'log' AND f.started_at IS NULL THEN
                llm_problem('missing_timestamp', 'no started_at: a Bedrock response body carries '
                    || 'no time, wrap it in the capture envelope') END,
            -- Only model invocations are billed per token (Panther's test records include
            -- ListModels, which AWS never writes to the invocation log).
            CASE WHEN kind = 'log' AND f.operation NOT IN (
                    'InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream',
                    'InvokeModelWithBidirectionalStream', 'StartAsyncInvoke') THEN
                llm_problem('unsupported_operation', 'operation ' || f.operation
                    || ' is not a model invocation') END,
            CASE WHEN kind = 'envelope' AND body IS NULL AND f.error IS NULL THEN
                llm_problem('missing_field', 'envelope has no response body') END
        ], lambda p: p IS NOT NULL) AS problems
    FROM ints
)

SELECT * FROM final
