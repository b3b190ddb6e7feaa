-- The prompt of every clean request in the chunk as blocks, in wire order: tools, system, then
-- each message. Reads fp_slice (a slice of chunk_out: canonical rows plus the adapter's
-- transient prompt columns).
-- One row per block; the text lives only in this temp table and is dropped after the chunk.
with prompts as (
    select
        source_line,
        source_item,
        prompt_tools,
        prompt_system,
        -- The Responses API takes a bare string as input: one user message.
        case
            when json_type(prompt_messages) = 'ARRAY'
                then cast(json_extract(prompt_messages, '$[*]') as json[])
            when json_type(prompt_messages) = 'VARCHAR'
                then [cast(json_object('role', 'user', 'content', prompt_messages ->> '$') as json)]
            else []::json[]
        end as messages
    from fp_slice
    where len(problems) = 0
        and (prompt_messages is not null or prompt_system is not null)
),

blocks as (
    select
        source_line,
        source_item,
        list_concat(
            case when json_type(prompt_tools) = 'ARRAY' and json_array_length(prompt_tools) > 0
                then [{'kind': 'tools', 'text': cast(json(prompt_tools) as varchar)}]
                else [] end,
            case when nullif(trim(llm_content_text(prompt_system)), '') is not null
                then [{'kind': 'system', 'text': llm_content_text(prompt_system)}]
                else [] end,
            list_transform(messages, lambda m: {
                'kind': llm_message_role(m), 'text': coalesce(llm_message_text(m), '')})
        ) as blocks
    from prompts
),

unnested as (
    select
        source_line,
        source_item,
        generate_subscripts(blocks, 1) as block_position,
        unnest(blocks) as block
    from blocks
)

select
    source_line,
    source_item,
    block_position,
    block.kind as kind,
    trim(block.text) as block_text,
    md5(block.kind || chr(31) || trim(block.text)) as block_md5
from unnested
