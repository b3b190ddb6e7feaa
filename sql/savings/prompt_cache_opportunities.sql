-- Grain: one row per stable prefix (provider x model x static_prefix_hash): the leading tools + system
-- blocks of the prompt (or its first block when it has none). What enabling or fixing provider
-- prompt caching on that prefix would have saved, against the cache reads that really happened.
-- saved_usd can be negative: writes (1.25x on Anthropic) cost more than the reads of a prefix
-- that is seldom reused within the TTL; such prefixes are better left uncached. For explicit
-- caching (Anthropic, Bedrock) four set-ups are replayed: TTL 5 minutes or 1 hour (writes 2x),
-- breakpoint after the static prefix only or also on the last message; the figures use the
-- best (best_ttl, best_breakpoints); saved_5m_usd / saved_1h_usd are each TTL's best.
with costed as (
    select * from prefix_costed
),

final as (
    select
        provider,
        model,
        prefix_hash as static_prefix_hash,
        any_value(rule_id) as rule_id,
        any_value(caching) as caching,
        any_value(min_cacheable_tokens) as min_cacheable_tokens,
        count(*) as requests,
        list(distinct team order by team) as teams,
        list(distinct feature order by feature) as features,
        to_timestamp(min(t)) as first_seen_at,
        to_timestamp(max(t)) as last_seen_at,
        round(avg(prefix_tokens))::bigint as avg_prefix_tokens,
        sum(input_tokens) as input_tokens,
        sum(cache_read_input_tokens) as actual_cache_read_tokens,
        sum(read_tokens) as simulated_cache_read_tokens,
        sum(write_tokens) as simulated_cache_write_tokens,
        sum(actual_input_cost_usd) as actual_input_cost_usd,
        sum(simulated_input_cost_usd) as simulated_input_cost_usd,
        sum(saved_usd) as saved_usd,
        any_value(ttl) as best_ttl,
        any_value(breakpoints) as best_breakpoints,
        any_value(prefix_saved_5m_usd) as saved_5m_usd,
        any_value(prefix_saved_1h_usd) as saved_1h_usd,
        case
            when max(prefix_tokens) < any_value(min_cacheable_tokens)
                and sum(read_tokens) <= sum(cache_read_input_tokens)
                then 'below the minimum cacheable length'
            when sum(saved_usd) <= 0 and sum(cache_read_input_tokens) >= sum(read_tokens)
                then 'already cached'
            when sum(saved_usd) <= 0 then 'leave uncached: writes cost more than reads save'
            when sum(cache_read_input_tokens) > 0 then 'fix caching: partly cached today'
            else 'enable caching'
        end as recommendation
    from costed
    group by provider, model, prefix_hash
)

select * from final
order by saved_usd desc, requests desc
