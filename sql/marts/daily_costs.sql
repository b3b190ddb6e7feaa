-- Grain: usage_date x provider x model x team x feature x environment.
-- Missing attribution is 'unattributed' (never dropped). cost_usd sums priced requests only;
-- unpriced_requests and their tokens say how much is not in it.
with requests as (
    select * from requests
    where usage_date in (select usage_date from build_dates)
),

final as (
    select
        usage_date,
        provider,
        model,
        coalesce(team, 'unattributed') as team,
        coalesce(feature, 'unattributed') as feature,
        coalesce(environment, 'unattributed') as environment,
        count(*) as requests,
        count(*) filter (where status = 'failure') as failed_requests,
        count(*) filter (where not is_priced) as unpriced_requests,
        count(*) filter (where is_gateway_cache_hit) as gateway_cache_hits,
        count(distinct session_id) as sessions,
        cast(sum(input_tokens) as bigint) as input_tokens,
        cast(sum(cache_read_input_tokens) as bigint) as cache_read_input_tokens,
        cast(sum(cache_creation_input_tokens) as bigint) as cache_creation_input_tokens,
        cast(sum(output_tokens) as bigint) as output_tokens,
        cast(sum(reasoning_output_tokens) as bigint) as reasoning_output_tokens,
        cast(sum(input_tokens) filter (where not is_priced) as bigint) as unpriced_input_tokens,
        cast(sum(output_tokens) filter (where not is_priced) as bigint) as unpriced_output_tokens,
        cast(coalesce(sum(input_cost_usd) filter (where is_priced), 0) as decimal(38, 12)) as input_cost_usd,
        cast(coalesce(sum(cache_read_cost_usd) filter (where is_priced), 0) as decimal(38, 12)) as cache_read_cost_usd,
        cast(coalesce(sum(cache_write_cost_usd) filter (where is_priced), 0) as decimal(38, 12)) as cache_write_cost_usd,
        cast(coalesce(sum(output_cost_usd) filter (where is_priced), 0) as decimal(38, 12)) as output_cost_usd,
        cast(coalesce(sum(tool_cost_usd) filter (where is_priced), 0) as decimal(38, 12)) as tool_cost_usd,
        cast(coalesce(sum(cost_usd), 0) as decimal(38, 12)) as cost_usd,
        sum(reported_cost_usd) as reported_cost_usd
    from requests
    group by all
)

select * from final
