-- Grain: usage_date x team x feature x waste_kind. Input tokens a prompt spends again and
-- again, from the prompt blocks fingerprinted at ingest (requests.prompt_segments), and what a
-- fix would save. Four kinds, disjoint parts of a prompt (so they never double count):
--   static_system_prompt  leading tools + system blocks, resent on every call
--                         fix: cache the static prefix (pay the cache-read price instead)
--   few_shot              example user/assistant turns after the system prompt, sent by at
--                         least half of the feature's requests and followed by >= 3
--                         different next turns (shared by different conversations, whether or
--                         not the log has session ids)
--                         fix: move them into the cached prefix
--   growing_history       conversation turns older than the last $keep_turns turns, resent on
--                         every call
--                         fix: summarise them into ~$summary_tokens tokens
--   oversized_context     the final message's tokens above $context_budget (retrieved
--                         documents pasted into the question)
--                         fix: retrieve less (trim to the budget)
-- Token counts are tokenizer estimates (cl100k_base) rescaled so a prompt's blocks add up to
-- the provider's own input_tokens. Dollars use the request's price row: the cache reads the
-- request really had are assigned to its prompt in order (static prefix, few-shot, history,
-- final message) and cost the cache-read price, the rest the input price. A caching fix
-- saves nothing below the provider's minimum cacheable length or on tokens already read from
-- the cache; it is counted before write premiums (prompt_cache_opportunities replays those).
with requests_in_scope as (
    select
        requests.request_id,
        requests.source,
        requests.usage_date,
        coalesce(requests.team, 'unattributed') as team,
        coalesce(requests.feature, 'unattributed') as feature,
        requests.prompt_segments,
        requests.input_tokens::double / requests.prompt_tokens_counted as token_scale,
        requests.cache_read_input_tokens::double as cache_read_tokens,
        prices.input_usd_per_mtok::double / 1e6 as input_price,
        coalesce(prices.cache_read_usd_per_mtok, prices.input_usd_per_mtok)::double / 1e6
            as read_price,
        rules.min_cacheable_tokens
    from requests
    inner join prices on prices.price_id = requests.price_id
    left join request_cache_rules as rules
        on rules.source = requests.source
        and rules.request_id = requests.request_id
    where requests.prompt_segments is not null
        and requests.prompt_tokens_counted > 0
        and requests.input_tokens > 0
        and requests.is_priced
        and requests.status = 'success'
        and not requests.is_gateway_cache_hit
        and prices.input_usd_per_mtok is not null
),

blocks as (
    select
        request_id,
        source,
        feature,
        team,
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
        ) as is_static,
        lead(block.chain_hash) over (
            partition by source, request_id order by block_position
        ) as next_chain_hash
    from blocks
),

feature_requests as (
    select team, feature, count(*) as requests
    from requests_in_scope
    group by team, feature
),

shared_examples as (
    -- A prefix ending on an assistant turn that different conversations continue differently
    -- (one conversation's own history is always continued the same way), and that most of the
    -- feature's requests send: a popular first question answered alike in a few chats is not
    -- a few-shot block.
    select positioned.team, positioned.feature, positioned.block.chain_hash as chain_hash
    from positioned
    inner join feature_requests
        on feature_requests.team = positioned.team
        and feature_requests.feature = positioned.feature
    where not positioned.is_static and positioned.block.kind = 'assistant'
        and positioned.block_position < positioned.block_count
    group by positioned.team, positioned.feature, positioned.block.chain_hash,
        feature_requests.requests
    having count(distinct positioned.next_chain_hash) >= 3
        and count(*) >= 0.5 * feature_requests.requests
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
        positioned.block.tokens as tokens,
        case
            when positioned.is_static then 'static_system_prompt'
            when positioned.block_position <= coalesce(few_shot_end.last_example, 0)
                then 'few_shot'
            when positioned.block_position = positioned.block_count then 'final_message'
            else 'history'
        end as part,
        row_number() over (
            partition by positioned.source, positioned.request_id,
                positioned.block_position = positioned.block_count
                or positioned.is_static
                or positioned.block_position <= coalesce(few_shot_end.last_example, 0)
            order by positioned.block_position desc
        ) as blocks_from_end
    from positioned
    left join few_shot_end
        on few_shot_end.source = positioned.source
        and few_shot_end.request_id = positioned.request_id
),

parts as (
    select
        requests_in_scope.request_id,
        requests_in_scope.source,
        requests_in_scope.usage_date,
        requests_in_scope.team,
        requests_in_scope.feature,
        requests_in_scope.token_scale,
        requests_in_scope.cache_read_tokens,
        requests_in_scope.input_price,
        requests_in_scope.read_price,
        requests_in_scope.min_cacheable_tokens,
        requests_in_scope.token_scale * coalesce(sum(classified.tokens)
            filter (where classified.part = 'static_system_prompt'), 0) as static_tokens,
        requests_in_scope.token_scale * coalesce(sum(classified.tokens)
            filter (where classified.part = 'few_shot'), 0) as few_shot_tokens,
        requests_in_scope.token_scale * coalesce(sum(classified.tokens)
            filter (where classified.part = 'history'), 0) as history_tokens,
        -- Turns beyond the last $keep_turns (a turn: a user block and the reply to it).
        requests_in_scope.token_scale * coalesce(sum(classified.tokens)
            filter (where classified.part = 'history'
                    and classified.blocks_from_end > 2 * $keep_turns), 0) as old_history_tokens,
        requests_in_scope.token_scale * coalesce(sum(classified.tokens)
            filter (where classified.part = 'final_message'), 0) as final_tokens
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
        requests_in_scope.cache_read_tokens,
        requests_in_scope.input_price,
        requests_in_scope.read_price,
        requests_in_scope.min_cacheable_tokens
),

cached as (
    -- The cache reads the request had, assigned to its prompt from the start.
    select
        *,
        least(static_tokens, cache_read_tokens) as static_cached,
        least(few_shot_tokens, greatest(0, cache_read_tokens - static_tokens)) as few_shot_cached,
        least(history_tokens, greatest(0, cache_read_tokens - static_tokens - few_shot_tokens))
            as history_cached,
        greatest(0, final_tokens - $context_budget) as context_excess_tokens,
        static_tokens >= coalesce(min_cacheable_tokens, 0) as static_cacheable,
        static_tokens + few_shot_tokens >= coalesce(min_cacheable_tokens, 0) as few_shot_cacheable
    from parts
),

unpivoted as (
    select
        usage_date, team, feature, 'static_system_prompt' as waste_kind,
        static_tokens as waste_tokens,
        static_tokens * input_price - static_cached * (input_price - read_price) as cost_usd,
        case when static_cacheable
            then (static_tokens - static_cached) * (input_price - read_price) else 0
        end as est_saved_usd
    from cached
    union all
    select
        usage_date, team, feature, 'few_shot',
        few_shot_tokens,
        few_shot_tokens * input_price - few_shot_cached * (input_price - read_price),
        case when few_shot_cacheable
            then (few_shot_tokens - few_shot_cached) * (input_price - read_price) else 0
        end
    from cached
    union all
    select
        usage_date, team, feature, 'growing_history',
        old_history_tokens,
        -- The old turns are the start of the history: they got its cache reads first.
        old_history_tokens * input_price
            - least(old_history_tokens, history_cached) * (input_price - read_price),
        case when old_history_tokens > 0 then
            greatest(0, old_history_tokens - $summary_tokens) / old_history_tokens
            * (old_history_tokens * input_price
               - least(old_history_tokens, history_cached) * (input_price - read_price))
            else 0
        end
    from cached
    union all
    select
        usage_date, team, feature, 'oversized_context',
        context_excess_tokens,
        context_excess_tokens * input_price,
        context_excess_tokens * input_price
    from cached
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
