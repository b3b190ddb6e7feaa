-- Grain: usage_date x team x feature x waste_kind. Input tokens a prompt spends again and
-- again, from the prompt blocks fingerprinted at ingest (requests.prompt_segments), and what a
-- fix would save. Four kinds, disjoint parts of a prompt (so they never double count):
--   static_system_prompt  leading tools + system blocks, resent on every call
--                         fix: cache the static prefix (pay the cache-read price instead)
--   few_shot              example user/assistant turns after the system prompt that are
--                         identical across >= 3 conversations of the feature
--                         fix: move them into the cached prefix
--   growing_history       conversation turns older than the last $keep_turns turns, resent on
--                         every call of a session
--                         fix: summarise them into ~$summary_tokens tokens
--   oversized_context     the final message's tokens above $context_budget (retrieved
--                         documents pasted into the question)
--                         fix: retrieve less (trim to the budget)
-- Token counts are tokenizer estimates (cl100k_base) rescaled so a prompt's blocks add up to
-- the provider's own input_tokens; dollars use what the request actually paid per input token
-- (so tokens already read from a cache count at their cheaper price).
with requests_in_scope as (
    select
        requests.request_id,
        requests.source,
        requests.usage_date,
        coalesce(requests.team, 'unattributed') as team,
        coalesce(requests.feature, 'unattributed') as feature,
        coalesce(requests.session_id, requests.request_id) as conversation_id,
        requests.prompt_segments,
        requests.input_tokens::double / requests.prompt_tokens_counted as token_scale,
        (coalesce(requests.input_cost_usd, 0) + coalesce(requests.cache_read_cost_usd, 0)
            + coalesce(requests.cache_write_cost_usd, 0))::double / requests.input_tokens
            as paid_usd_per_input_token,
        coalesce(prices.cache_read_usd_per_mtok, prices.input_usd_per_mtok)::double / 1e6
            as cache_read_usd_per_token
    from requests
    left join prices on prices.price_id = requests.price_id
    where requests.prompt_segments is not null
        and requests.prompt_tokens_counted > 0
        and requests.input_tokens > 0
        and requests.is_priced
        and requests.status = 'success'
        and not requests.is_gateway_cache_hit
),

blocks as (
    select
        request_id,
        source,
        feature,
        team,
        conversation_id,
        generate_subscripts(prompt_segments, 1) as block_position,
        len(prompt_segments) as block_count,
        unnest(prompt_segments) as block
    from requests_in_scope
),

positioned as (
    select
        *,
        bool_and(block.kind in ('tools', 'system')) over (
            partition by source, request_id order by block_position
            rows between unbounded preceding and current row
        ) as is_static
    from blocks
),

shared_examples as (
    -- A prefix ending on an assistant example, seen in >= 3 conversations of the feature.
    select team, feature, block.chain_hash as chain_hash
    from positioned
    where not is_static and block.kind = 'assistant' and block_position < block_count
    group by team, feature, block.chain_hash
    having count(distinct conversation_id) >= 3
),

few_shot_end as (
    select positioned.source, positioned.request_id, max(positioned.block_position) as last_example
    from positioned
    inner join shared_examples
        on shared_examples.team = positioned.team
        and shared_examples.feature = positioned.feature
        and shared_examples.chain_hash = positioned.block.chain_hash
    group by positioned.source, positioned.request_id
),

classified as (
    select
        positioned.source,
        positioned.request_id,
        positioned.block_position,
        positioned.block_count,
        positioned.block.tokens as tokens,
        case
            when positioned.is_static then 'static_system_prompt'
            when positioned.block_position <= coalesce(few_shot_end.last_example, 0)
                then 'few_shot'
            when positioned.block_position = positioned.block_count then 'final_message'
            else 'history'
        end as part
    from positioned
    left join few_shot_end
        on few_shot_end.source = positioned.source
        and few_shot_end.request_id = positioned.request_id
),

history_ranked as (
    select
        *,
        row_number() over (
            partition by source, request_id order by block_position desc
        ) as blocks_from_end
    from classified
    where part = 'history'
),

per_request as (
    select
        requests_in_scope.request_id,
        requests_in_scope.source,
        requests_in_scope.usage_date,
        requests_in_scope.team,
        requests_in_scope.feature,
        requests_in_scope.token_scale,
        requests_in_scope.paid_usd_per_input_token,
        requests_in_scope.cache_read_usd_per_token,
        coalesce(sum(classified.tokens) filter (where classified.part = 'static_system_prompt'), 0)
            as static_tokens,
        coalesce(sum(classified.tokens) filter (where classified.part = 'few_shot'), 0)
            as few_shot_tokens,
        coalesce(sum(classified.tokens) filter (where classified.part = 'final_message'), 0)
            as final_message_tokens
    from requests_in_scope
    left join classified
        on classified.source = requests_in_scope.source
        and classified.request_id = requests_in_scope.request_id
    group by
        requests_in_scope.request_id,
        requests_in_scope.source,
        requests_in_scope.usage_date,
        requests_in_scope.team,
        requests_in_scope.feature,
        requests_in_scope.token_scale,
        requests_in_scope.paid_usd_per_input_token,
        requests_in_scope.cache_read_usd_per_token
),

old_history as (
    -- Turns beyond the last $keep_turns (a turn: a user block and the reply to it).
    select source, request_id, sum(tokens) as old_history_tokens
    from history_ranked
    where blocks_from_end > 2 * $keep_turns
    group by source, request_id
),

waste as (
    select
        per_request.*,
        coalesce(old_history.old_history_tokens, 0) as old_history_tokens,
        -- Tokens of the final message above the budget (the budget is in provider tokens).
        greatest(0, per_request.final_message_tokens
            - $context_budget / per_request.token_scale) as context_excess_tokens
    from per_request
    left join old_history
        on old_history.source = per_request.source
        and old_history.request_id = per_request.request_id
),

unpivoted as (
    select
        usage_date, team, feature, 'static_system_prompt' as waste_kind,
        static_tokens * token_scale as waste_tokens,
        static_tokens * token_scale * paid_usd_per_input_token as cost_usd,
        static_tokens * token_scale
            * greatest(0, paid_usd_per_input_token - cache_read_usd_per_token) as est_saved_usd
    from waste
    union all
    select
        usage_date, team, feature, 'few_shot',
        few_shot_tokens * token_scale,
        few_shot_tokens * token_scale * paid_usd_per_input_token,
        few_shot_tokens * token_scale
            * greatest(0, paid_usd_per_input_token - cache_read_usd_per_token)
    from waste
    union all
    select
        usage_date, team, feature, 'growing_history',
        old_history_tokens * token_scale,
        old_history_tokens * token_scale * paid_usd_per_input_token,
        greatest(0, old_history_tokens * token_scale - $summary_tokens)
            * paid_usd_per_input_token
    from waste
    union all
    select
        usage_date, team, feature, 'oversized_context',
        context_excess_tokens * token_scale,
        context_excess_tokens * token_scale * paid_usd_per_input_token,
        context_excess_tokens * token_scale * paid_usd_per_input_token
    from waste
),

final as (
    select
        usage_date,
        team,
        feature,
        waste_kind,
        count(*) as requests,
        count(*) filter (where waste_tokens > 0) as affected_requests,
        round(sum(waste_tokens))::bigint as waste_tokens,
        round(sum(waste_tokens) / nullif(count(*) filter (where waste_tokens > 0), 0))::bigint
            as avg_waste_tokens_per_affected_request,
        sum(cost_usd) as cost_usd,
        sum(est_saved_usd) as est_saved_usd,
        case waste_kind
            when 'static_system_prompt' then 'cache the static prefix (tools + system prompt)'
            when 'few_shot' then 'move the few-shot examples into the cached prefix'
            when 'growing_history' then 'summarise history older than the last '
                || $keep_turns || ' turns into ~' || $summary_tokens || ' tokens'
            when 'oversized_context' then 'trim retrieved context to '
                || $context_budget || ' tokens'
        end as fix
    from unpivoted
    group by usage_date, team, feature, waste_kind
)

select * from final
order by usage_date, team, feature, waste_kind
