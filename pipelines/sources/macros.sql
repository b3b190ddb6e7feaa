-- Shared DuckDB macros for source adapters: one definition of "a token count", "a timestamp",
-- "a problem", so every adapter rejects bad input with the same codes and wording.

-- A whole, non-fractional number from a JSON value: JSON numbers, and digit strings because
-- OTLP/JSON and some loggers write 64-bit integers as strings.
CREATE OR REPLACE MACRO llm_int(j) AS CASE
    WHEN json_type(j) IN ('UBIGINT', 'BIGINT') THEN TRY_CAST(j AS BIGINT)
    WHEN json_type(j) = 'DOUBLE'
         AND TRY_CAST(j AS DOUBLE) = TRY_CAST(j AS BIGINT) THEN TRY_CAST(j AS BIGINT)
    WHEN json_type(j) = 'VARCHAR' AND regexp_full_match(j ->> '$', '-?[0-9]{1,18}')
         THEN TRY_CAST(j ->> '$' AS BIGINT)
END;

CREATE OR REPLACE MACRO llm_num(j) AS CASE
    WHEN json_type(j) IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN TRY_CAST(j AS DOUBLE)
    WHEN json_type(j) = 'VARCHAR' THEN TRY_CAST(j ->> '$' AS DOUBLE)
END;

CREATE OR REPLACE MACRO llm_problem(code, reason) AS
    {'code': code, 'reason': reason}::STRUCT(code VARCHAR, reason VARCHAR);

-- NULL when the value is absent or a valid non-negative count; otherwise why not.
CREATE OR REPLACE MACRO llm_int_problem(field, j) AS CASE
    WHEN j IS NULL OR json_type(j) = 'NULL' THEN NULL
    WHEN llm_int(j) IS NULL THEN llm_problem('invalid_tokens',
        field || ' is ' || left(CAST(j AS VARCHAR), 40) || ', not a whole number')
    WHEN llm_int(j) < 0 THEN llm_problem('invalid_tokens',
        field || ' is negative (' || CAST(llm_int(j) AS VARCHAR) || ')')
END;

CREATE OR REPLACE MACRO llm_num_problem(field, j) AS CASE
    WHEN j IS NULL OR json_type(j) = 'NULL' THEN NULL
    WHEN llm_num(j) IS NULL THEN llm_problem('invalid_number',
        field || ' is ' || left(CAST(j AS VARCHAR), 40) || ', not a number')
END;

CREATE OR REPLACE MACRO llm_has_zone(t) AS regexp_matches(t, '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$');

-- RFC 3339 text: a zone is required, a naive time is an error (we would have to guess it).
CREATE OR REPLACE MACRO llm_ts_zoned(t) AS CASE WHEN llm_has_zone(t) THEN TRY_CAST(t AS TIMESTAMPTZ) END;

CREATE OR REPLACE MACRO llm_ts_zoned_problem(field, t) AS CASE
    WHEN t IS NULL THEN NULL
    WHEN NOT llm_has_zone(t) AND TRY_CAST(t AS TIMESTAMP) IS NOT NULL THEN llm_problem('naive_timestamp',
        field || ' "' || left(t, 40) || '" has no time zone (RFC 3339 needs Z or an offset)')
    WHEN llm_ts_zoned(t) IS NULL THEN llm_problem('bad_timestamp',
        field || ' "' || left(t, 40) || '" is not an RFC 3339 timestamp')
END;

-- Sources whose contract is naive UTC text (LiteLLM SpendLogs: Postgres DateTime), or epoch
-- seconds (StandardLoggingPayload), or zoned text.
CREATE OR REPLACE MACRO llm_ts_utc(j) AS CASE
    WHEN json_type(j) IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN TRY(to_timestamp(TRY_CAST(j AS DOUBLE)))
    WHEN json_type(j) = 'VARCHAR' AND llm_has_zone(j ->> '$') THEN TRY_CAST(j ->> '$' AS TIMESTAMPTZ)
    WHEN json_type(j) = 'VARCHAR' THEN timezone('UTC', TRY_CAST(j ->> '$' AS TIMESTAMP))
END;

CREATE OR REPLACE MACRO llm_ts_utc_problem(field, j) AS CASE
    WHEN j IS NULL OR json_type(j) = 'NULL' THEN NULL
    WHEN llm_ts_utc(j) IS NULL THEN llm_problem('bad_timestamp',
        field || ' ' || left(CAST(j AS VARCHAR), 40) || ' is not a timestamp')
END;

-- A JSON value that some emitters encode as a JSON string holding JSON (LiteLLM SpendLogs
-- `metadata` and `request_tags`), decoded; NULL when the inner text is not JSON.
CREATE OR REPLACE MACRO llm_unwrap(j) AS CASE
    WHEN json_type(j) = 'VARCHAR' AND json_valid(j ->> '$') THEN CAST(j ->> '$' AS JSON)
    WHEN json_type(j) IN ('OBJECT', 'ARRAY') THEN j
END;

CREATE OR REPLACE MACRO llm_unwrap_problem(field, j) AS CASE
    WHEN j IS NULL OR json_type(j) = 'NULL' THEN NULL
    WHEN json_type(j) = 'VARCHAR' AND (j ->> '$') = '' THEN NULL
    WHEN llm_unwrap(j) IS NULL THEN llm_problem('malformed_field',
        field || ' is not valid JSON: ' || left(CAST(j AS VARCHAR), 60))
END;

-- (trim is only called for a value that starts or ends with a space: it copies every string.)
CREATE OR REPLACE MACRO llm_blank_null(s) AS CASE
    WHEN s IN ('', 'None', 'null') THEN NULL
    WHEN (starts_with(s, ' ') OR ends_with(s, ' ')) AND trim(s) IN ('', 'None', 'null') THEN NULL
    ELSE s
END;

-- A cell of Anthropic's Console CSV exports: trimmed; '--' (their "no value") and blanks are NULL.
CREATE OR REPLACE MACRO llm_console_value(s) AS nullif(nullif(trim(s), '--'), '');

-- An object as a string map (envelope metadata, tag objects); nested values become JSON text.
CREATE OR REPLACE MACRO llm_string_map(j) AS CASE
    WHEN json_type(j) = 'OBJECT' THEN from_json(j, '"MAP(VARCHAR, VARCHAR)"')
END;

-- ["feature:search", "env:prod", "beta"] -> [{k: feature, v: search}, {k: env, v: prod},
-- {k: beta, v: ''}]: the entries of a tag list, in order.
CREATE OR REPLACE MACRO llm_tag_entries(tags) AS
    [{'k': CASE WHEN contains(t, ':') THEN split_part(t, ':', 1) ELSE t END,
      'v': CASE WHEN contains(t, ':') THEN substr(t, strpos(t, ':') + 1) ELSE '' END}
     for t in coalesce(tags, []) if t IS NOT NULL AND t <> ''];

-- The value of one key among tag entries (keys: their k, in order): a key given twice
-- ("feature:a", "feature:b") has its first value.
CREATE OR REPLACE MACRO llm_tag(entries, keys, key) AS entries[list_position(keys, key)].v;

-- Tag entries and a string map as one MAP: the first value of a key repeated among the
-- entries, and the value in the map for a key in both. Building a MAP is the costly part of
-- tags (DuckDB checks that its keys are unique), so it is built once per row; the
-- first-per-key filter only runs for entries whose keys repeat.
CREATE OR REPLACE MACRO llm_first_per_key(entries, keys) AS
    map_from_entries(list_filter(entries, lambda e, i: list_position(keys, e.k) = i));

CREATE OR REPLACE MACRO llm_tags_map(entries, m) AS coalesce(
    TRY(map_from_entries(list_concat(
        [e for e in entries if NOT list_contains(map_keys(m), e.k)],
        [{'k': e.key, 'v': e.value} for e in map_entries(m)]))),
    map_concat(llm_first_per_key(entries, [e.k for e in entries]), m));

-- Provider spelling -> who bills the request.
CREATE OR REPLACE MACRO llm_provider(p, model) AS CASE
    WHEN lower(p) IN ('openai', 'text-completion-openai') THEN 'openai'
    WHEN lower(p) = 'anthropic' THEN 'anthropic'
    WHEN lower(p) IN ('gemini', 'vertex_ai', 'vertex_ai_beta', 'google', 'gcp.gemini', 'gcp.vertex_ai', 'gcp.gen_ai', 'vertexai') THEN 'google'
    -- OpenInference llm.provider / llm.system spell AWS and Vertex without dots.
    WHEN lower(p) IN ('bedrock', 'bedrock_converse', 'aws.bedrock', 'aws_bedrock', 'aws') THEN 'aws_bedrock'
    WHEN lower(p) IN ('azure', 'azure_ai', 'azure.ai.openai') THEN 'azure_openai'
    WHEN lower(p) = 'openrouter' THEN 'openrouter'
    WHEN p IS NOT NULL AND p <> '' THEN lower(p)
    WHEN regexp_matches(lower(model), '^(openai/)?(gpt-|o[0-9]|chatgpt-|text-embedding-)') THEN 'openai'
    WHEN regexp_matches(lower(model), '^(anthropic/)?claude-') THEN 'anthropic'
    WHEN regexp_matches(lower(model), '^(gemini/|vertex_ai/)?gemini-') THEN 'google'
    ELSE 'unknown'
END;

-- The API host an SDK was pointed at -> who bills (an OpenAI SDK with base_url set to Groq's,
-- Gemini's, Cerebras' ... OpenAI-compatible endpoint bills at that provider). NULL: unknown.
CREATE OR REPLACE MACRO llm_provider_from_url(url) AS CASE
    WHEN url IS NULL OR url = '' THEN NULL
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*generativelanguage\.googleapis\.com') THEN 'google'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*aiplatform\.googleapis\.com') THEN 'google'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.groq\.com') THEN 'groq'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.cerebras\.ai') THEN 'cerebras'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.together\.(xyz|ai)') THEN 'together_ai'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.deepseek\.com') THEN 'deepseek'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.x\.ai') THEN 'xai'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.mistral\.ai') THEN 'mistral'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.fireworks\.ai') THEN 'fireworks_ai'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.perplexity\.ai') THEN 'perplexity'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.moonshot\.(ai|cn)') THEN 'moonshotai'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*openrouter\.ai') THEN 'openrouter'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)') THEN 'azure_openai'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*bedrock-runtime[^/]*\.amazonaws\.com') THEN 'aws_bedrock'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.anthropic\.com') THEN 'anthropic'
    WHEN regexp_matches(lower(url), '^(https?://)?[^/]*api\.openai\.com') THEN 'openai'
END;

-- A model id only one provider serves under that name, for a capture that records neither a
-- provider nor a base URL. Open-weight ids (llama-3.3-70b, gpt-oss-120b, qwen-3-*) are served
-- by many providers at different prices: they are not guessed (record the base URL).
CREATE OR REPLACE MACRO llm_provider_from_model(model) AS CASE
    WHEN regexp_matches(lower(model), '^(models/)?gemini-') THEN 'google'
    WHEN regexp_matches(lower(model), '^grok-') THEN 'xai'
    WHEN regexp_matches(lower(model), '^deepseek-(chat|reasoner)') THEN 'deepseek'
    WHEN regexp_matches(lower(model), '-(versatile|instant)$') THEN 'groq'
END;

-- A raw model id -> llmcost's canonical model id, provider-blind (int_model_ids__resolved; the
-- genai-prices import names its rows with the same macro, so both sides agree by construction):
-- a Bedrock ARN's model part; Vertex `projects/.../publishers/<p>/models/<m>`, `models/<m>`;
-- any vendor path (`openai/`, OpenRouter `meta-llama/...`, Groq `openai/gpt-oss-120b`); an
-- OpenRouter `:variant`; a Bedrock region or `global.` profile prefix, vendor prefix
-- (`amazon.`, `meta.`, ...) and version suffix (`-v1:0`, with its colon: `claude-v2` is a name); a Vertex `@date`; `-latest`; a dated
-- snapshot (`-2024-08-06`, `-20251001`); a Gemini build suffix (`-001`).
-- An application inference profile ARN does not name its model: it stays as it is (unpriced
-- unless an alias or override names it).
CREATE OR REPLACE MACRO llm_model_canonical(raw) AS CASE
    WHEN lower(raw) LIKE 'arn:%:application-inference-profile/%' THEN lower(trim(raw))
    ELSE regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(
    lower(trim(raw)),
    '^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(foundation-model|inference-profile)/', ''),
    '^.*/', ''),
    '^((us|eu|apac|jp|au|ca|in|global|us-gov|regional)\.)?(amazon|anthropic|meta|mistral|cohere'
        || '|ai21|deepseek|qwen|openai|moonshotai|moonshot|zai|google|nvidia|writer|minimax'
        || '|twelvelabs|stability)\.(.+?)(-v?\d+:0|:\d+)?$', '\4'),
    '^(us|eu|apac|jp|au|ca|in|global|us-gov|regional)\.', ''),
    ':[a-z0-9_.-]+$', ''),
    '@.*$', ''),
    '-latest$', ''),
    '-(\d{4}-\d{2}-\d{2}|\d{8})$', ''),
    '^(gemini-.*)-\d{3}$', '\1')
END;

-- Provider service-tier spellings -> standard | batch | flex | priority (unknown kept as is,
-- so the request shows up unpriced instead of being priced at the wrong tier).
CREATE OR REPLACE MACRO llm_tier(t) AS CASE
    WHEN t IS NULL OR lower(t) IN ('', 'default', 'auto', 'standard', 'on_demand') THEN 'standard'
    WHEN lower(t) IN ('batch', 'flex', 'priority') THEN lower(t)
    -- OpenAI renamed Priority processing to "fast" (2026-07-30) at the same prices.
    WHEN lower(t) = 'fast' THEN 'priority'
    ELSE lower(t)
END;

-- Secret-looking strings are redacted from anything stored as text (quarantine excerpts):
-- OpenAI/Anthropic keys, AWS access key ids, bearer tokens, PEM private keys. Every tag value
-- of every record passes here, and almost none holds a secret: one scan for the fixed prefix
-- each pattern starts with decides whether the four rewrites run at all.
CREATE OR REPLACE MACRO llm_redact(t) AS CASE
    WHEN NOT regexp_matches(t, 'sk-|AKIA|ASIA|[Bb]earer|-----BEGIN') THEN t
    ELSE regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    t,
    '(sk-(ant-|proj-|svcacct-)?)[A-Za-z0-9_\-]{8,}', '\1[REDACTED]', 'g'),
    '(AKIA|ASIA)[0-9A-Z]{16}', '[REDACTED-AWS-KEY]', 'g'),
    '([Bb]earer\s+)[A-Za-z0-9._~+/=\-]{8,}', '\1[REDACTED]', 'g'),
    '-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]*(-----END [A-Z ]*PRIVATE KEY-----)?', '[REDACTED-PRIVATE-KEY]', 'g')
END;

-- Cost of a token count at an exact per-token price (DECIMAL keeps every digit).
CREATE OR REPLACE MACRO llm_token_cost(tokens, usd_per_token) AS
    CAST(tokens AS DECIMAL(18, 0)) * usd_per_token;

-- Could a map hold a credential key (of the llm_safe_tags list or an adapter list) or a value
-- llm_redact rewrites? One scan of its keys and values; false means surely not (a true may be
-- a harmless "token_budget" tag). Most maps are clean and skip the per-entry work.
CREATE OR REPLACE MACRO llm_tags_suspect(m) AS regexp_matches(
    array_to_string(list_concat(map_keys(m), map_values(m)), ' '),
    '(?i:api[_-]?key|authori[sz]ation|secret|passw|token|credential|cookie|bearer)'
    || '|sk-|AKIA|ASIA|-----BEGIN');

-- Tags as stored: keys that name a credential are dropped and secret-looking values redacted,
-- whatever the source copied into its metadata.
CREATE OR REPLACE MACRO llm_safe_tags(m) AS CASE
    WHEN m IS NOT NULL AND NOT llm_tags_suspect(m) THEN CAST(m AS MAP(VARCHAR, VARCHAR))
    ELSE map_from_entries(
        [{'k': e.key, 'v': llm_redact(e.value)} for e in map_entries(coalesce(m, MAP {}))
         if NOT regexp_matches(lower(e.key),
                               '(^|[_.-])(api[_-]?key|authorization|secret|password|passwd|token'
                               || '|credentials?|cookie|bearer)$')])
END;

-- The long-context tier a priced row falls in: the highest price threshold its input exceeds
-- (0 = base). An export bucket has no per-request size: Anthropic's context_window says which
-- tier it is; any other bucket is priced at the base tier (documented approximation).
CREATE OR REPLACE MACRO llm_tier_floor(thresholds, input_tokens) AS
    coalesce(list_max(list_filter(thresholds, lambda t: t < input_tokens)), 0);

CREATE OR REPLACE MACRO llm_bucket_tier_floor(thresholds, context_window) AS
    CASE WHEN context_window = '200k-1M' THEN coalesce(list_max(thresholds), 0) ELSE 0 END;

-- Prompt content, across wire shapes (used by the fingerprint step, sources/fingerprint.sql).
-- These use json_extract*, never the -> operators: inside a function argument DuckDB reads
-- `m -> '$.x'` as a lambda.
-- One block of a message's content as text: a string; a text block (OpenAI parts, Anthropic and
-- Bedrock blocks, Gemini parts {text}); an OTel part {type, content}. Images, audio and files
-- become a short stand-in named by the hash of the block: their base64 text would count as
-- ~100,000 "tokens" and swamp the prompt's token shares (the provider bills them by its own
-- rules, and input_tokens already includes them). Any other block (tool call, ...) stands as
-- its minified JSON, so it still changes the hash and still counts tokens.
CREATE OR REPLACE MACRO llm_is_media(b) AS
    json_extract_string(b, '$.type') IN ('image', 'image_url', 'input_image', 'document',
        'input_file', 'file', 'input_audio', 'audio', 'blob', 'uri')
    OR json_extract(b, '$.inlineData') IS NOT NULL OR json_extract(b, '$.inline_data') IS NOT NULL
    OR json_extract(b, '$.image') IS NOT NULL OR json_extract(b, '$.document') IS NOT NULL;

CREATE OR REPLACE MACRO llm_leaf_text(b) AS CASE
    WHEN json_type(b) = 'VARCHAR' THEN json_extract_string(b, '$')
    WHEN llm_is_media(b) THEN '[' || coalesce(json_extract_string(b, '$.type'), 'media') || ' '
        || md5(CAST(json(b) AS VARCHAR)) || ']'
    WHEN json_type(json_extract(b, '$.text')) = 'VARCHAR' THEN json_extract_string(b, '$.text')
    WHEN json_type(json_extract(b, '$.content')) = 'VARCHAR'
        THEN json_extract_string(b, '$.content')
    ELSE CAST(json(b) AS VARCHAR)
END;

-- A tool result holding blocks (Anthropic tool_result, Bedrock toolResult: screenshots, text)
-- is read one level down, so its images are stand-ins too.
CREATE OR REPLACE MACRO llm_block_text(b) AS CASE
    WHEN json_type(coalesce(json_extract(b, '$.content'), json_extract(b, '$.toolResult.content')))
            = 'ARRAY' AND (json_extract_string(b, '$.type') = 'tool_result'
                           OR json_extract(b, '$.toolResult') IS NOT NULL)
        THEN coalesce(json_extract_string(b, '$.tool_use_id'),
                      json_extract_string(b, '$.toolResult.toolUseId'), '') || ': '
            || array_to_string(list_transform(CAST(json_extract(coalesce(
                json_extract(b, '$.content'), json_extract(b, '$.toolResult.content')), '$[*]')
                AS JSON[]), lambda x: llm_leaf_text(x)), chr(10))
    ELSE llm_leaf_text(b)
END;

CREATE OR REPLACE MACRO llm_blocks_text(blocks) AS array_to_string(
    list_transform(CAST(json_extract(blocks, '$[*]') AS JSON[]), lambda b: llm_block_text(b)),
    chr(10));

-- A message's (or a system prompt's) content as text: a string, a list of blocks, or an object
-- holding `content` / `parts` (Gemini systemInstruction, OTel messages).
CREATE OR REPLACE MACRO llm_content_text(c) AS CASE
    WHEN json_type(c) = 'VARCHAR' THEN json_extract_string(c, '$')
    WHEN json_type(c) = 'ARRAY' THEN llm_blocks_text(c)
    WHEN json_type(c) = 'OBJECT'
        AND json_type(coalesce(json_extract(c, '$.content'), json_extract(c, '$.parts'))) = 'ARRAY'
        THEN llm_blocks_text(coalesce(json_extract(c, '$.content'), json_extract(c, '$.parts')))
    WHEN json_type(c) = 'OBJECT' THEN llm_block_text(c)
END;

-- Role of a chat message: OpenAI/Anthropic/OTel `role`, Gemini `role` ('model' is the
-- assistant), Responses API items without a role (function_call, function_call_output) by type.
CREATE OR REPLACE MACRO llm_message_role(m) AS CASE
    WHEN lower(json_extract_string(m, '$.role')) IN ('system', 'developer') THEN 'system'
    WHEN lower(json_extract_string(m, '$.role')) IN ('assistant', 'model', 'ai') THEN 'assistant'
    WHEN lower(json_extract_string(m, '$.role')) IN ('tool', 'function', 'ipython') THEN 'tool'
    -- Anthropic, Bedrock and Gemini send tool results in a user turn: made only of tool
    -- results, it is a tool turn (the agent's step), not a question.
    WHEN lower(json_extract_string(m, '$.role')) IN ('user', 'human')
        AND json_type(coalesce(json_extract(m, '$.content'), json_extract(m, '$.parts'))) = 'ARRAY'
        AND json_array_length(coalesce(json_extract(m, '$.content'), json_extract(m, '$.parts'))) > 0
        AND list_bool_and(list_transform(CAST(json_extract(coalesce(json_extract(m, '$.content'),
                json_extract(m, '$.parts')), '$[*]') AS JSON[]), lambda x:
            coalesce(json_extract_string(x, '$.type') = 'tool_result', false)
            OR json_extract(x, '$.toolResult') IS NOT NULL
            OR json_extract(x, '$.functionResponse') IS NOT NULL))
        THEN 'tool'
    WHEN lower(json_extract_string(m, '$.role')) IN ('user', 'human') THEN 'user'
    WHEN json_extract_string(m, '$.type') IN ('function_call', 'custom_tool_call') THEN 'assistant'
    WHEN json_extract_string(m, '$.type') IN ('function_call_output', 'custom_tool_call_output') THEN 'tool'
    ELSE coalesce(lower(json_extract_string(m, '$.role')), lower(json_extract_string(m, '$.type')), 'user')
END;

-- A message's text: its content/parts, or the whole item when it has neither (tool calls).
-- An assistant turn's tool calls (OpenAI tool_calls / function_call) are part of it: two turns
-- with the same text and different call arguments are different prompts.
CREATE OR REPLACE MACRO llm_message_text(m) AS coalesce(
    nullif(concat_ws(chr(10),
        llm_content_text(coalesce(json_extract(m, '$.content'), json_extract(m, '$.parts'))),
        CAST(json(json_extract(m, '$.tool_calls')) AS VARCHAR),
        CAST(json(json_extract(m, '$.function_call')) AS VARCHAR)), ''),
    CASE WHEN json_type(json_extract(m, '$.output')) = 'VARCHAR'
        THEN json_extract_string(m, '$.output') END,
    CAST(json(m) AS VARCHAR));

-- A request's parameters as a canonical key: an object's top-level keys sorted, numbers
-- written one way (0, 0.0 and 0e0 agree); NULL for anything that is not an object.
CREATE OR REPLACE MACRO llm_canonical_object(j) AS CASE WHEN json_type(j) = 'OBJECT' THEN
    '{' || array_to_string(list_transform(list_sort(json_keys(j)), lambda k:
        to_json(k) || ':' || CASE
            WHEN json_type(json_extract(j, '$."' || replace(k, '"', '\"') || '"'))
                    IN ('BIGINT', 'UBIGINT', 'DOUBLE')
                THEN CAST(CAST(json_extract_string(j, '$."' || replace(k, '"', '\"') || '"')
                          AS DOUBLE) AS VARCHAR)
            ELSE CAST(json(json_extract(j, '$."' || replace(k, '"', '\"') || '"')) AS VARCHAR)
        END), ',') || '}'
END;

-- A JSON value that may be a JSON-encoded string of JSON (LiteLLM SpendLogs columns) as JSON.
-- SpendLogs write "{}" (a string) when the proxy keeps no prompt: answered without parsing.
CREATE OR REPLACE MACRO llm_unwrap_json(j) AS CASE
    WHEN CAST(j AS VARCHAR) = '"{}"' THEN CAST('{}' AS JSON)
    WHEN json_type(j) = 'VARCHAR' AND json_valid(json_extract_string(j, '$')) THEN CAST(json_extract_string(j, '$') AS JSON)
    ELSE j
END;
