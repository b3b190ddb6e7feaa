-- One row per request that carried its prompt: the fingerprint columns of `requests`.
-- Reads fp_blocks (fingerprint_blocks.sql), fp_block_tokens (tokenizer counts per distinct
-- block) and fp_slice (a slice of chunk_out: model, sampling parameters, response). Hashes are the upper 64 bits of
-- MD5 (stable across DuckDB versions, unlike hash()).
with counted as (
    select
        fp_blocks.source_line,
        fp_blocks.source_item,
        fp_blocks.block_position,
        fp_blocks.kind,
        fp_blocks.block_text,
        fp_blocks.block_md5,
        -- Chat framing costs about 4 tokens per message (role, separators); tool definitions
        -- are counted as their JSON text.
        fp_block_tokens.tokens + case when fp_blocks.kind = 'tools' then 0 else 4 end as tokens,
        -- chain_hash of block k identifies the prompt prefix up to and including it (what a
        -- provider prompt cache matches on): the XOR of the position-salted hashes of blocks
        -- 1..k. A running window aggregate keeps it linear in the number of blocks (a hash of
        -- the concatenated prefix would be quadratic on 4,000-message agent transcripts).
        bit_xor(md5_number_upper(fp_blocks.block_position::varchar || ':' || fp_blocks.block_md5))
            over (partition by fp_blocks.source_line, fp_blocks.source_item
                  order by fp_blocks.block_position
                  rows between unbounded preceding and current row) as chain_hash
    from fp_blocks
    inner join fp_block_tokens on fp_block_tokens.block_md5 = fp_blocks.block_md5
),

per_request as (
    select
        source_line,
        source_item,
        list(
            {'kind': kind, 'chain_hash': chain_hash, 'tokens': tokens} order by block_position
        ) as blocks,
        count(*) as block_count,
        sum(tokens) as prompt_tokens_counted,
        coalesce(sum(tokens) filter (where kind = 'system'), 0) as system_prompt_tokens,
        coalesce(sum(tokens) filter (where kind = 'tools'), 0) as tools_tokens,
        count(*) filter (where kind <> 'tools') as message_count,
        string_agg(block_text, chr(10) order by block_position)
            filter (where kind = 'system') as system_text,
        arg_max(block_text, block_position) filter (where kind = 'user') as last_user_text,
        arg_max(tokens, block_position) filter (where kind = 'user') as last_user_tokens,
        arg_max(tokens, block_position) as final_block_tokens
    from counted
    group by source_line, source_item
),

chained as (
    select
        *,
        list_transform(blocks, lambda b: b.chain_hash) as chain_hashes,
        lower(regexp_replace(trim(last_user_text), '\s+', ' ', 'g')) as last_user_normalised
    from per_request
),

raw_parameters as (
    select
        source_line,
        source_item,
        model_raw,
        response_text,
        response_tool_calls,
        from_json(prompt_params, '{
            "temperature": "JSON", "stream": "JSON", "generationConfig": {"temperature": "JSON"},
            "inferenceConfig": {"temperature": "JSON"}, "config": {"temperature": "JSON"}
        }') as p,
        -- Everything in the request body but the prompt (already in the blocks) and what does
        -- not change the answer: sampling parameters under any provider's spelling
        -- (max_tokens, maxOutputTokens, inferenceConfig, responseSchema, ...), functions,
        -- previous_response_id / conversation (the Responses API's server-side history),
        -- Bedrock's toolChoice; top-level keys sorted and numbers spelled one way.
        llm_canonical_object(case when json_type(prompt_params) = 'OBJECT'
            then json_merge_patch(prompt_params, '{
                "messages": null, "input": null, "instructions": null, "system": null,
                "tools": null, "contents": null, "systemInstruction": null,
                "system_instruction": null, "toolConfig": {"tools": null}, "model": null,
                "modelId": null, "stream": null, "stream_options": null, "metadata": null,
                "user": null, "store": null, "service_tier": null, "labels": null,
                "requestMetadata": null, "safety_identifier": null, "prompt_cache_key": null,
                "anthropic_version": null,
                "config": {"system_instruction": null, "tools": null, "labels": null}
            }') end) as parameters_json
    from fp_slice
    where len(problems) = 0
        and source_line in (select source_line from chained)
),

parameters as (
    select
        source_line,
        source_item,
        model_raw,
        response_text,
        response_tool_calls,
        coalesce(parameters_json, '{}') as parameters_json,
        coalesce(
            try_cast(json_extract_string(p.temperature, '$') as double),
            try_cast(json_extract_string(p.generationConfig.temperature, '$') as double),
            try_cast(json_extract_string(p.inferenceConfig.temperature, '$') as double),
            try_cast(json_extract_string(p.config.temperature, '$') as double)
        ) as temperature,
        coalesce(try_cast(json_extract_string(p.stream, '$') as boolean), false) as is_streaming
    from raw_parameters
)

select
    chained.source_line,
    chained.source_item,
    md5_number_upper(parameters.model_raw || chr(31) || cast(chained.chain_hashes[-1] as varchar)
                     || chr(31) || parameters.parameters_json) as prompt_hash,
    md5_number_upper(parameters.parameters_json) as parameters_hash,
    md5_number_upper(chained.system_text) as system_prompt_hash,
    case when chained.block_count >= 2 then chained.chain_hashes[-2] end as prefix_hash,
    md5_number_upper(nullif(chained.last_user_normalised, '')) as last_user_hash,
    chained.last_user_normalised,
    md5_number_upper(nullif(trim(parameters.response_text), '')) as response_hash,
    chained.blocks as prompt_segments,
    chained.prompt_tokens_counted,
    chained.system_prompt_tokens,
    chained.tools_tokens,
    chained.prompt_tokens_counted - chained.final_block_tokens as prefix_tokens,
    chained.last_user_tokens,
    chained.message_count,
    parameters.temperature,
    parameters.is_streaming,
    chained.tools_tokens > 0 as has_tools,
    coalesce(parameters.response_tool_calls, false) as has_tool_calls,
    chained.last_user_text
from chained
inner join parameters
    on parameters.source_line = chained.source_line
    and parameters.source_item = chained.source_item
