-- Grain: usage_date x team x feature x model x strategy ('exact', 'semantic' at the default
-- threshold, 'prompt_cache'). requests and cost_usd are the day's whole spend in the group;
-- simulated_requests the part that logged its prompt (and could be replayed); hits and
-- saved_usd what the strategy would have avoided. Response caches (exact, semantic) save a hit's
-- whole cost; prompt caching saves on input tokens only, and only on prefixes whose caching
-- pays for its writes. saved_usd never exceeds cost_usd.
with spend as (
    select
        usage_date,
        coalesce(team, 'unattributed') as team,
        coalesce(feature, 'unattributed') as feature,
        model,
        count(*) as requests,
        cast(sum(cost_usd) as double) as cost_usd
    from requests
    group by all
),

simulated as (
    select
        usage_date, team, feature, model, 'exact' as strategy,
        count(*) as simulated_requests,
        count(*) filter (where exact_hit) as hits,
        coalesce(sum(cost_usd) filter (where exact_hit), 0) as saved_usd,
        coalesce(sum(latency_ms) filter (where exact_hit), 0) as latency_saved_ms
    from savings_frame
    group by all
    union all
    select
        usage_date, team, feature, model, 'semantic',
        count(*),
        count(*) filter (where semantic_hit),
        coalesce(sum(cost_usd) filter (where semantic_hit), 0),
        coalesce(sum(latency_ms) filter (where semantic_hit), 0)
    from savings_frame
    group by all
    union all
    select
        usage_date, team, feature, model, 'prompt_cache',
        count(*),
        count(*) filter (where is_hit and prefix_saved_usd > 0),
        coalesce(sum(saved_usd) filter (where prefix_saved_usd > 0), 0),
        0
    from prefix_costed
    group by all
),

strategies as (
    select unnest(['exact', 'semantic', 'prompt_cache']) as strategy
),

final as (
    select
        spend.usage_date,
        spend.team,
        spend.feature,
        spend.model,
        strategies.strategy,
        case when strategies.strategy = 'semantic' then $threshold end as threshold,
        spend.requests,
        coalesce(simulated.simulated_requests, 0) as simulated_requests,
        coalesce(simulated.hits, 0) as hits,
        spend.cost_usd,
        coalesce(simulated.saved_usd, 0) as saved_usd,
        coalesce(simulated.latency_saved_ms, 0) / 1000.0 as latency_saved_s
    from spend
    cross join strategies
    left join simulated
        on simulated.usage_date = spend.usage_date
        and simulated.team = spend.team
        and simulated.feature = spend.feature
        and simulated.model is not distinct from spend.model
        and simulated.strategy = strategies.strategy
)

select * from final
order by usage_date, team, feature, model, strategy
