-- Shared tail of every adapter: lineage columns, the checks every source gets, canonical order.
-- Reads the temp view `adapter_output` (the adapter's query over one chunk of records).
SELECT
    request_id,
    $source AS source,
    occurred_at,
    CAST(occurred_at AS DATE) AS usage_date,
    ended_at,
    latency_ms,
    provider,
    model_raw,
    service_tier,
    status,
    coalesce(is_gateway_cache_hit, false) AS is_gateway_cache_hit,
    api_surface,
    team,
    feature,
    environment,
    project,
    session_id,
    trace_id,
    user_id,
    -- Keys are stored only as salted hashes, whatever the adapter was given (a raw key, or a
    -- gateway's own unsalted hash of it).
    CASE WHEN api_key_hash IS NOT NULL THEN sha256($key_salt || ':' || api_key_hash) END
        AS api_key_hash,
    -- tags_clean: the adapter ran llm_tags_suspect on these tags itself and it found nothing
    -- (NULL for adapters that do not say), so the scan is not run twice.
    CASE WHEN tags_clean THEN CAST(tags AS MAP(VARCHAR, VARCHAR)) ELSE llm_safe_tags(tags) END
        AS tags,
    input_tokens,
    cache_read_input_tokens,
    cache_creation_input_tokens,
    cache_creation_1h_input_tokens,
    output_tokens,
    reasoning_output_tokens,
    web_search_calls,
    reported_cost_usd,
    billed_cost_usd,
    usage_raw,
    -- The prompt, for the fingerprint step only (pipelines/fingerprint.py): never stored.
    prompt_system,
    prompt_messages,
    prompt_tools,
    prompt_params,
    response_text,
    response_tool_calls,
    $source_file AS source_file,
    source_line,
    coalesce(source_item, 0) AS source_item,
    $file_sha256 AS file_sha256,
    CAST($ingested_at AS TIMESTAMPTZ) AS ingested_at,
    -- Most rows are clean: the reasons list is only built for a row that fails a check.
    CASE WHEN len(problems) = 0
            AND request_id IS NOT NULL AND model_raw IS NOT NULL AND occurred_at IS NOT NULL
            AND occurred_at <= now() + INTERVAL 1 DAY
            AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL
            AND CAST(cache_read_input_tokens AS HUGEINT) + cache_creation_input_tokens
                <= input_tokens
            AND occurred_at >= TIMESTAMPTZ '2015-01-01 00:00:00+00' 
            AND reasoning_output_tokens <= output_tokens
            AND cache_creation_1h_input_tokens <= cache_creation_input_tokens
        THEN []::STRUCT(code VARCHAR, reason VARCHAR)[]
        ELSE list_concat(problems, list_filter([
            CASE WHEN request_id IS NULL THEN llm_problem('missing_field', 'no request id') END,
            CASE WHEN model_raw IS NULL THEN llm_problem('missing_field', 'no model') END,
            CASE WHEN occurred_at IS NULL AND len(list_filter(problems, lambda p: p.code IN
                    ('naive_timestamp', 'bad_timestamp', 'missing_timestamp'))) = 0
                THEN llm_problem('missing_field', 'no timestamp') END,
            CASE WHEN occurred_at < TIMESTAMPTZ '2015-01-01 00:00:00+00'
                THEN llm_problem('bad_timestamp', 'occurred_at ' || CAST(occurred_at AS VARCHAR)
                    || ' is before any LLM API existed') END,
            CASE WHEN occurred_at > now() + INTERVAL 1 DAY
                THEN llm_problem('bad_timestamp', 'occurred_at ' || CAST(occurred_at AS VARCHAR) || ' is in the future') END,
            CASE WHEN input_tokens IS NULL AND len(list_filter(problems, lambda p: p.code = 'invalid_tokens')) = 0
                THEN llm_problem('missing_field', 'no input token count') END,
            CASE WHEN output_tokens IS NULL AND len(list_filter(problems, lambda p: p.code = 'invalid_tokens')) = 0
                THEN llm_problem('missing_field', 'no output token count') END,
            CASE WHEN NOT list_contains(list_transform(problems, lambda p: p.code), 'invalid_tokens')
                AND CAST(cache_read_input_tokens AS HUGEINT) + cache_creation_input_tokens
                    > input_tokens
                THEN llm_problem('inconsistent_tokens', 'cache reads + writes ('
                    || CAST(CAST(cache_read_input_tokens AS HUGEINT) + cache_creation_input_tokens
                            AS VARCHAR)
                    || ') exceed input tokens (' || CAST(input_tokens AS VARCHAR) || ')') END,
            CASE WHEN NOT list_contains(list_transform(problems, lambda p: p.code), 'invalid_tokens')
                AND reasoning_output_tokens > output_tokens
                THEN llm_problem('inconsistent_tokens', 'reasoning tokens ('
                    || CAST(reasoning_output_tokens AS VARCHAR) || ') exceed output tokens ('
                    || CAST(output_tokens AS VARCHAR) || ')') END,
            CASE WHEN NOT list_contains(list_transform(problems, lambda p: p.code), 'invalid_tokens')
                AND cache_creation_1h_input_tokens > cache_creation_input_tokens
                THEN llm_problem('inconsistent_tokens', '1-hour cache writes exceed all cache writes') END
        ], lambda p: p IS NOT NULL))
    END AS problems
FROM adapter_output
