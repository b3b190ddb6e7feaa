-- Grain: usage_date x provider x model x team x feature x environment x cost_basis.
-- cost_basis says where a number comes from, so nothing is counted twice:
--   logs              priced request logs (tokens x versioned prices);
--   export            a provider-day that no log covers: the provider's export is the spend
--                     (its billed cost report when ingested, else its usage report priced);
--   export_remainder  a provider-day that logs cover too: only what the export bills beyond
--                     the logs (the spend the logs do not explain), spread over the export's
--                     model / team groups by their share of the export.
-- Missing attribution is 'unattributed'. cost_usd sums priced rows only: check
-- unpriced_requests before trusting a total. See cost_coverage for how much the logs explain.
with requests as (
    select * from requests
    where usage_date in (select usage_date from build_dates)
),

buckets as (
    select * from usage_buckets
    where usage_date in (select usage_date from build_dates)
),

log_rows as (
    select
        usage_date,
        provider,
        model,
        coalesce(team, 'unattributed') as team,
        coalesce(feature, 'unattributed') as feature,
        coalesce(environment, 'unattributed') as environment,
        'logs' as cost_basis,
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
        cast(coalesce(sum(cost_usd) filter (where price_source = 'billed'), 0)
            as decimal(38, 12)) as billed_cost_usd,
        cast(coalesce(sum(cost_usd), 0) as decimal(38, 12)) as cost_usd,
        sum(reported_cost_usd) as reported_cost_usd
    from requests
    group by all
),

log_totals as (
    select usage_date, provider, sum(cost_usd) as logs_cost_usd
    from requests
    group by usage_date, provider
),

-- The bill of a provider-day: billed cost buckets when the cost export was ingested,
-- otherwise the usage export priced.
bill_kinds as (
    select
        usage_date,
        provider,
        case when bool_or(kind = 'cost') then 'cost' else 'usage' end as bill_kind
    from buckets
    group by usage_date, provider
),

bill_groups as (
    select
        buckets.usage_date,
        buckets.provider,
        coalesce(buckets.model, 'unknown') as model,
        buckets.team,
        buckets.feature,
        buckets.environment,
        bill_kinds.bill_kind,
        sum(buckets.requests) as requests,
        sum(buckets.requests) filter (where not buckets.is_priced) as unpriced_requests,
        sum(buckets.input_tokens) as input_tokens,
        sum(buckets.cache_read_input_tokens) as cache_read_input_tokens,
        sum(buckets.cache_creation_input_tokens) as cache_creation_input_tokens,
        sum(buckets.output_tokens) as output_tokens,
        coalesce(sum(buckets.cost_usd), 0) as group_cost_usd
    from buckets
    inner join bill_kinds
        on bill_kinds.usage_date = buckets.usage_date
        and bill_kinds.provider = buckets.provider
        and bill_kinds.bill_kind = buckets.kind
    group by all
),

bill_totals as (
    select usage_date, provider, sum(group_cost_usd) as bill_usd
    from bill_groups
    group by usage_date, provider
),

export_rows as (
    select
        bill_groups.usage_date,
        bill_groups.provider,
        bill_groups.model,
        bill_groups.team,
        bill_groups.feature,
        bill_groups.environment,
        case when log_totals.provider is null then 'export' else 'export_remainder' end
            as cost_basis,
        case when log_totals.provider is null then bill_groups.requests end as requests,
        cast(null as bigint) as failed_requests,
        case when log_totals.provider is null then bill_groups.unpriced_requests end
            as unpriced_requests,
        cast(null as bigint) as gateway_cache_hits,
        cast(null as bigint) as sessions,
        case when log_totals.provider is null and bill_groups.bill_kind = 'usage'
            then cast(bill_groups.input_tokens as bigint) end as input_tokens,
        case when log_totals.provider is null and bill_groups.bill_kind = 'usage'
            then cast(bill_groups.cache_read_input_tokens as bigint) end as cache_read_input_tokens,
        case when log_totals.provider is null and bill_groups.bill_kind = 'usage'
            then cast(bill_groups.cache_creation_input_tokens as bigint) end
            as cache_creation_input_tokens,
        case when log_totals.provider is null and bill_groups.bill_kind = 'usage'
            then cast(bill_groups.output_tokens as bigint) end as output_tokens,
        cast(
            case
                when log_totals.provider is null then bill_groups.group_cost_usd
                else (bill_totals.bill_usd - log_totals.logs_cost_usd)
                    * bill_groups.group_cost_usd / nullif(bill_totals.bill_usd, 0)
            end as decimal(38, 12)
        ) as cost_usd
    from bill_groups
    inner join bill_totals
        on bill_totals.usage_date = bill_groups.usage_date
        and bill_totals.provider = bill_groups.provider
    left join log_totals
        on log_totals.usage_date = bill_groups.usage_date
        and log_totals.provider = bill_groups.provider
    where log_totals.provider is null or bill_totals.bill_usd > log_totals.logs_cost_usd
),

final as (
    select * from log_rows
    union all by name
    select * from export_rows
)

select * from final
