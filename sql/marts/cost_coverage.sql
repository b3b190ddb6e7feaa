-- Grain: usage_date x provider. How much of the provider's own numbers the request logs
-- explain: logs_cost_usd (priced logs), export_usage_cost_usd (usage export priced),
-- export_billed_usd (cost export), bill_usd (billed when present, else usage priced),
-- explained_share = logs / bill, remainder_usd = what daily_costs adds as export_remainder.
with requests as (
    select usage_date, provider, count(*) as log_requests, sum(cost_usd) as logs_cost_usd
    from requests
    group by usage_date, provider
),

buckets as (
    select
        usage_date,
        provider,
        sum(requests) filter (where kind = 'usage') as export_requests,
        sum(cost_usd) filter (where kind = 'usage') as export_usage_cost_usd,
        sum(cost_usd) filter (where kind = 'cost') as export_billed_usd,
        bool_or(kind = 'cost') as has_cost_export,
        bool_or(kind = 'usage') as has_usage_export
    from usage_buckets
    group by usage_date, provider
),

final as (
    select
        coalesce(requests.usage_date, buckets.usage_date) as usage_date,
        coalesce(requests.provider, buckets.provider) as provider,
        coalesce(requests.log_requests, 0) as log_requests,
        buckets.export_requests,
        cast(coalesce(requests.logs_cost_usd, 0) as decimal(38, 12)) as logs_cost_usd,
        cast(buckets.export_usage_cost_usd as decimal(38, 12)) as export_usage_cost_usd,
        cast(buckets.export_billed_usd as decimal(38, 12)) as export_billed_usd,
        cast(case when buckets.has_cost_export then buckets.export_billed_usd
                  else buckets.export_usage_cost_usd end as decimal(38, 12)) as bill_usd,
        case
            when buckets.provider is null then 'logs only'
            when buckets.has_cost_export then 'cost export'
            else 'usage export'
        end as bill_basis,
        round(coalesce(requests.logs_cost_usd, 0) / nullif(
            case when buckets.has_cost_export then buckets.export_billed_usd
                 else buckets.export_usage_cost_usd end, 0), 4) as explained_share,
        cast(greatest(coalesce(
            case when buckets.has_cost_export then buckets.export_billed_usd
                 else buckets.export_usage_cost_usd end, 0)
            - coalesce(requests.logs_cost_usd, 0), 0) as decimal(38, 12)) as remainder_usd
    from requests
    full outer join buckets
        on buckets.usage_date = requests.usage_date
        and buckets.provider = requests.provider
)

select * from final
