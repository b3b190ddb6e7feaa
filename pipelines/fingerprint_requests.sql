-- One row per request that carried its prompt: the fingerprint columns of `requests`.
-- Reads fp_blocks (fingerprint_blocks.sql), fp_block_tokens (tokenizer counts per distinct
-- block) and chunk_out (model, sampling parameters, response). Hashes are the upper 64 bits of
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
        fp_block_tokens.tokens + case when fp_blocks.kind = 'tools' then 0 else 4 end as tokens
    from fp_blocks
    inner join fp_block_tokens on fp_block_tokens.block_md5 = fp_blocks.block_md5
),

per_request as (
    select
        source_line,
        source_item,
        list(
            {'kind': kind, 'block_md5': block_md5, 'tokens': tokens} order by block_position
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
        -- chain_hash of block k = hash of the block hashes 1..k: equal chain hashes mean equal
        -- prompt prefixes, which is what a provider prompt cache matches on.
        list_transform(range(1, block_count + 1), lambda k: md5_number_upper(
            array_to_string(list_transform(list_slice(blocks, 1, k), lambda b: b.block_md5), '')
        )) as chain_hashes,
        lower(regexp_replace(trim(last_user_text), '\s+', ' ', 'g')) as last_user_normalised
    from per_request
),

raw_parameters as (
    -- One parse of the request body for the parameters (it also holds the whole prompt).
    select
        source_line,
        source_item,
        model_raw,
        response_text,
        response_tool_calls,
        from_json(prompt_params, '{
            "temperature": "JSON", "top_p": "JSON", "top_k": "JSON", "max_tokens": "JSON",
            "max_completion_tokens": "JSON", "max_output_tokens": "JSON", "stop": "JSON",
            "stop_sequences": "JSON", "seed": "JSON", "n": "JSON", "response_format": "JSON",
            "text": {"format": "JSON"}, "tool_choice": "JSON", "reasoning": "JSON",
            "reasoning_effort": "JSON", "thinking": "JSON", "generationConfig": "JSON",
            "stream": "JSON"
        }') as p
    from chunk_out
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
        -- The sampling parameters that change the answer, in a fixed order.
        to_json({
            'temperature': p.temperature,
            'top_p': p.top_p,
            'top_k': p.top_k,
            'max_tokens': coalesce(p.max_tokens, p.max_completion_tokens, p.max_output_tokens),
            'stop': coalesce(p.stop, p.stop_sequences),
            'seed': p.seed,
            'n': p.n,
            'response_format': coalesce(p.response_format, p.text.format),
            'tool_choice': p.tool_choice,
            'reasoning': coalesce(p.reasoning, p.reasoning_effort, p.thinking),
            'generation_config': p.generationConfig
        }) as parameters_json,
        coalesce(
            try_cast(json_extract_string(p.temperature, '$') as double),
            try_cast(json_extract_string(p.generationConfig, '$.temperature') as double)
        ) as temperature,
        coalesce(try_cast(json_extract_string(p.stream, '$') as boolean), false) as is_streaming
    from raw_parameters
)

select
    chained.source_line,
    chained.source_item,
    md5_number_upper(parameters.model_raw || chr(31) || cast(chained.chain_hashes[-1] as varchar)
                     || chr(31) || parameters.parameters_json) as prompt_hash,
    md5_number_upper(chained.system_text) as system_prompt_hash,
    case when chained.block_count >= 2 then chained.chain_hashes[-2] end as prefix_hash,
    md5_number_upper(nullif(chained.last_user_normalised, '')) as last_user_hash,
    chained.last_user_normalised,
    md5_number_upper(nullif(trim(parameters.response_text), '')) as response_hash,
    list_transform(range(1, chained.block_count + 1), lambda k: {
        'kind': chained.blocks[k].kind,
        'chain_hash': chained.chain_hashes[k],
        'tokens': chained.blocks[k].tokens
    }) as prompt_segments,
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
