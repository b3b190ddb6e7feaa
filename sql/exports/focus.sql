-- FinOps FOCUS 1.2 cost and usage rows for usage days $first_date..$last_date (inclusive).
-- Grain: usage_date x provider x model x sub-account (project / workspace) x token type x the
-- team / feature / environment tags. The spend is daily_costs' spend, part by part, so
-- sum(BilledCost) equals daily_costs for the window:
--   logs              priced requests, split into their cost components (one row per token type);
--   export            provider-days no request log covers: the bill's own rows (cost export, or
--                     usage export priced), one row per token type;
--   export_remainder  provider-days covered by both: what the bill adds beyond the logs, as
--                     daily_costs spreads it (no quantities: the tokens are in the logs rows).
-- ListCost = list unit price x quantity where the price is a list price (logs, usage exports);
-- a bill line (cost export) is its own list, billed and effective cost. No commitments or
-- negotiated rates are modelled: EffectiveCost = ContractedCost = BilledCost. Costs are
-- computed as the warehouse computes them (tokens x per-token price, in DECIMAL).
with requests as (
    select * from requests
    where usage_date between $first_date and $last_date
),

buckets as (
    select * from usage_buckets
    where usage_date between $first_date and $last_date
),

remainders as (
    select * from daily_costs
    where usage_date between $first_date and $last_date
        and cost_basis = 'export_remainder'
),

prices as (
    select * from prices
),

log_days as (
    select distinct usage_date, provider from requests
),

bill_kinds as (
    select usage_date, provider,
        case when bool_or(kind = 'cost') then 'cost' else 'usage' end as bill_kind
    from buckets
    group by usage_date, provider
),

log_parts as (
    select
        requests.usage_date,
        requests.provider,
        coalesce(requests.model, 'unknown') as model,
        requests.project as sub_account_id,
        coalesce(requests.team, 'unattributed') as team,
        coalesce(requests.feature, 'unattributed') as feature,
        coalesce(requests.environment, 'unattributed') as environment,
        'logs' as cost_basis,
        part.token_type,
        part.quantity,
        part.cost_usd
    from requests,
        unnest([
            {'token_type': 'input', 'quantity': requests.uncached_input_tokens,
             'cost_usd': requests.input_cost_usd},
            {'token_type': 'cache_read', 'quantity': requests.cache_read_input_tokens,
             'cost_usd': requests.cache_read_cost_usd},
            {'token_type': 'cache_write', 'quantity': requests.cache_creation_input_tokens,
             'cost_usd': requests.cache_write_cost_usd},
            {'token_type': 'output', 'quantity': requests.output_tokens,
             'cost_usd': requests.output_cost_usd},
            {'token_type': 'web_search', 'quantity': requests.web_search_calls,
             'cost_usd': requests.tool_cost_usd},
            -- a request priced by its biller's own statement (OpenRouter) has no components
            {'token_type': 'billed',
             'quantity': requests.input_tokens + requests.output_tokens,
             'cost_usd': requests.cost_usd - coalesce(requests.input_cost_usd, 0)
                - coalesce(requests.cache_read_cost_usd, 0)
                - coalesce(requests.cache_write_cost_usd, 0)
                - coalesce(requests.output_cost_usd, 0) - coalesce(requests.tool_cost_usd, 0)}
        ]) as parts(part)
    where requests.is_priced
),

bill_rows as (
    select buckets.*
    from buckets
    inner join bill_kinds
        on bill_kinds.usage_date = buckets.usage_date
        and bill_kinds.provider = buckets.provider
        and bill_kinds.bill_kind = buckets.kind
    anti join log_days
        on log_days.usage_date = buckets.usage_date
        and log_days.provider = buckets.provider
    where buckets.is_priced
),

usage_parts as (
    select
        bill_rows.*,
        prices.input_usd_per_mtok * 0.000001 as input_usd,
        prices.cache_read_usd_per_mtok * 0.000001 as cache_read_usd,
        prices.cache_write_5m_usd_per_mtok * 0.000001 as cache_write_5m_usd,
        prices.cache_write_1h_usd_per_mtok * 0.000001 as cache_write_1h_usd,
        prices.output_usd_per_mtok * 0.000001 as output_usd,
        coalesce(prices.web_search_usd_per_call, 0) as web_search_usd
    from bill_rows
    left join prices
        on prices.price_id = bill_rows.price_id
    where bill_rows.kind = 'usage'
),

-- What a cost export row bills is dollars; its quantity is the usage export's count for the
-- same day, model, account and token type when one was ingested (shared between repeated rows
-- by their cost), else the dollars at the row's list unit price.
usage_counts as (
    select
        buckets.usage_date,
        buckets.provider,
        buckets.model,
        coalesce(buckets.project_id, buckets.workspace_id) as sub_account_id,
        part.token_type,
        sum(part.quantity) as quantity
    from buckets,
        unnest([
            {'token_type': 'input', 'quantity': buckets.input_tokens
                - buckets.cache_read_input_tokens - buckets.cache_creation_input_tokens},
            {'token_type': 'cache_read', 'quantity': buckets.cache_read_input_tokens},
            {'token_type': 'cache_write_5m', 'quantity': buckets.cache_creation_input_tokens
                - buckets.cache_creation_1h_input_tokens},
            {'token_type': 'cache_write_1h', 'quantity': buckets.cache_creation_1h_input_tokens},
            {'token_type': 'output', 'quantity': buckets.output_tokens},
            {'token_type': 'web_search', 'quantity': buckets.web_search_calls}
        ]) as parts(part)
    where buckets.kind = 'usage'
    group by all
),

cost_rows as (
    select
        bill_rows.usage_date,
        bill_rows.provider,
        bill_rows.model,
        coalesce(bill_rows.project_id, bill_rows.workspace_id) as sub_account_id,
        bill_rows.team,
        bill_rows.feature,
        bill_rows.environment,
        bill_rows.cost_usd,
        case
            when bill_rows.token_type is not null then bill_rows.token_type
            when bill_rows.cost_type is not null and bill_rows.cost_type <> 'tokens'
                then bill_rows.cost_type
            else 'other'
        end as bill_type,
        case
            when bill_rows.token_type = 'input' then prices.input_usd_per_mtok
            when bill_rows.token_type = 'cache_read' then prices.cache_read_usd_per_mtok
            when bill_rows.token_type = 'cache_write_5m' then prices.cache_write_5m_usd_per_mtok
            when bill_rows.token_type = 'cache_write_1h' then prices.cache_write_1h_usd_per_mtok
            when bill_rows.token_type = 'output' then prices.output_usd_per_mtok
            when bill_rows.cost_type = 'web_search' then prices.web_search_usd_per_call * 1000000
        end * 0.000001 as unit_usd
    from bill_rows
    left join prices
        on prices.price_id = bill_rows.price_id
    where bill_rows.kind = 'cost'
),

cost_quantities as (
    select
        cost_rows.*,
        coalesce(
            usage_counts.quantity * cost_rows.cost_usd / nullif(sum(cost_rows.cost_usd) over (
                partition by cost_rows.usage_date, cost_rows.provider, cost_rows.model,
                    cost_rows.sub_account_id, cost_rows.bill_type), 0),
            usage_counts.quantity,
            cost_rows.cost_usd / nullif(cost_rows.unit_usd, 0)
        ) as quantity
    from cost_rows
    left join usage_counts
        on usage_counts.usage_date = cost_rows.usage_date
        and usage_counts.provider = cost_rows.provider
        and usage_counts.model is not distinct from cost_rows.model
        and usage_counts.sub_account_id is not distinct from cost_rows.sub_account_id
        and usage_counts.token_type = cost_rows.bill_type
),

export_parts as (
    select
        usage_parts.usage_date,
        usage_parts.provider,
        coalesce(usage_parts.model, 'unknown') as model,
        coalesce(usage_parts.project_id, usage_parts.workspace_id) as sub_account_id,
        usage_parts.team,
        usage_parts.feature,
        usage_parts.environment,
        'export' as cost_basis,
        part.token_type,
        part.quantity,
        part.cost_usd
    from usage_parts,
        unnest([
            {'token_type': 'input',
             'quantity': usage_parts.input_tokens - usage_parts.cache_read_input_tokens
                - usage_parts.cache_creation_input_tokens,
             'cost_usd': cast(usage_parts.input_tokens
                - usage_parts.cache_read_input_tokens - usage_parts.cache_creation_input_tokens as decimal(18, 0)) * usage_parts.input_usd},
            {'token_type': 'cache_read', 'quantity': usage_parts.cache_read_input_tokens,
             'cost_usd': cast(usage_parts.cache_read_input_tokens as decimal(18, 0)) * usage_parts.cache_read_usd},
            {'token_type': 'cache_write', 'quantity': usage_parts.cache_creation_input_tokens,
             'cost_usd': cast(usage_parts.cache_creation_input_tokens
                - usage_parts.cache_creation_1h_input_tokens as decimal(18, 0)) * usage_parts.cache_write_5m_usd
                + cast(usage_parts.cache_creation_1h_input_tokens as decimal(18, 0)) * usage_parts.cache_write_1h_usd},
            {'token_type': 'output', 'quantity': usage_parts.output_tokens,
             'cost_usd': cast(usage_parts.output_tokens as decimal(18, 0)) * usage_parts.output_usd},
            {'token_type': 'web_search', 'quantity': usage_parts.web_search_calls,
             'cost_usd': cast(usage_parts.web_search_calls as decimal(18, 0)) * usage_parts.web_search_usd}
        ]) as parts(part)
    union all by name
    select
        usage_date,
        provider,
        coalesce(model, 'unknown') as model,
        sub_account_id,
        team,
        feature,
        environment,
        'export' as cost_basis,
        case when bill_type in ('cache_write_5m', 'cache_write_1h') then 'cache_write'
             else bill_type end as token_type,
        quantity,
        cost_usd
    from cost_quantities
),

remainder_parts as (
    select
        usage_date,
        provider,
        model,
        cast(null as varchar) as sub_account_id,
        team,
        feature,
        environment,
        'export_remainder' as cost_basis,
        'remainder' as token_type,
        cast(null as bigint) as quantity,
        cost_usd
    from remainders
),

parts as (
    select * from log_parts
    union all by name
    select * from export_parts
    union all by name
    select * from remainder_parts
),

grouped as (
    select
        usage_date,
        provider,
        model,
        sub_account_id,
        team,
        feature,
        environment,
        token_type,
        string_agg(distinct cost_basis, ',' order by cost_basis) as cost_basis,
        sum(quantity) as quantity,
        cast(sum(cost_usd) as decimal(38, 12)) as cost_usd
    from parts
    group by all
    -- a token type the row did not use (no tokens, no cost) is no charge
    having coalesce(sum(quantity), 0) <> 0 or sum(cost_usd) <> 0
),

named as (
    select
        grouped.*,
        case provider
            when 'anthropic' then 'Anthropic'
            when 'openai' then 'OpenAI'
            when 'google' then 'Google'
            when 'aws_bedrock' then 'Amazon Web Services'
            when 'azure_openai' then 'Microsoft'
            when 'openrouter' then 'OpenRouter'
            else provider
        end as provider_name,
        case
            when model like 'claude%' then 'Anthropic'
            when model like 'gpt%' or regexp_matches(model, '^o[0-9]') then 'OpenAI'
            when model like 'gemini%' then 'Google'
        end as model_developer,
        case provider
            when 'anthropic' then 'Claude API'
            when 'openai' then 'OpenAI API'
            when 'google' then 'Gemini API'
            when 'aws_bedrock' then 'Amazon Bedrock'
            when 'azure_openai' then 'Azure OpenAI'
            else provider
        end as service_name,
        token_type in ('input', 'cache_read', 'cache_write', 'output', 'billed') as is_tokens,
        token_type = 'web_search' as is_calls,
        cast(date_trunc('month', usage_date) as date) as month_start
    from grouped
),

final as (
    select
        cost_usd as BilledCost,
        cost_usd as ContractedCost,
        cost_usd as EffectiveCost,
        cost_usd as ListCost,
        case when is_tokens and quantity is not null
                 then cast(quantity as decimal(38, 12)) / 1000000
             when is_calls and quantity is not null then cast(quantity as decimal(38, 12))
        end as PricingQuantity,
        case when is_tokens and quantity is not null then '1000000 Tokens'
             when is_calls and quantity is not null then 'Requests' end as PricingUnit,
        case when quantity is not null and (is_tokens or is_calls)
             then cast(quantity as decimal(38, 12)) end as ConsumedQuantity,
        case when quantity is not null and is_tokens then 'Tokens'
             when quantity is not null and is_calls then 'Requests' end as ConsumedUnit,
        case when is_tokens and quantity > 0 then cast(cost_usd * 1000000 / quantity as decimal(38, 12))
             when is_calls and quantity > 0 then cast(cost_usd / quantity as decimal(38, 12))
        end as ListUnitPrice,
        case when is_tokens and quantity > 0 then cast(cost_usd * 1000000 / quantity as decimal(38, 12))
             when is_calls and quantity > 0 then cast(cost_usd / quantity as decimal(38, 12))
        end as ContractedUnitPrice,
        provider as BillingAccountId,
        provider_name || ' organisation' as BillingAccountName,
        'USD' as BillingCurrency,
        'USD' as PricingCurrency,
        case when is_tokens and quantity > 0 then cast(cost_usd * 1000000 / quantity as decimal(38, 12))
             when is_calls and quantity > 0 then cast(cost_usd / quantity as decimal(38, 12))
        end as PricingCurrencyListUnitPrice,
        case when is_tokens and quantity > 0 then cast(cost_usd * 1000000 / quantity as decimal(38, 12))
             when is_calls and quantity > 0 then cast(cost_usd / quantity as decimal(38, 12))
        end as PricingCurrencyContractedUnitPrice,
        cost_usd as PricingCurrencyEffectiveCost,
        timezone('UTC', cast(month_start as timestamp)) as BillingPeriodStart,
        timezone('UTC', cast(month_start + interval 1 month as timestamp)) as BillingPeriodEnd,
        timezone('UTC', cast(usage_date as timestamp)) as ChargePeriodStart,
        timezone('UTC', cast(usage_date + interval 1 day as timestamp)) as ChargePeriodEnd,
        -- a charge with no quantity (what the bill adds beyond the logs, a bill line of no
        -- known kind) is the bill adjusting the usage, not usage of its own
        case when quantity is null then 'Adjustment' else 'Usage' end as ChargeCategory,
        cast(null as varchar) as ChargeClass,
        case token_type
            when 'remainder' then model || ': billed by ' || provider_name
                || ' beyond what the request logs explain'
            else model || ' ' || replace(token_type, '_', ' ')
                || case when is_tokens then ' tokens' else '' end
        end as ChargeDescription,
        'Usage-Based' as ChargeFrequency,
        -- no invoice is known for a row (null, FOCUS InvoiceId-C-004)
        cast(null as varchar) as InvoiceId,
        -- no commitment discounts: the ConsumedQuantity rules are conditioned on this column
        cast(null as varchar) as CommitmentDiscountStatus,
        provider_name as InvoiceIssuerName,
        provider_name as ProviderName,
        coalesce(model_developer, provider_name) as PublisherName,
        'AI and Machine Learning' as ServiceCategory,
        'Generative AI' as ServiceSubcategory,
        service_name as ServiceName,
        'Standard' as PricingCategory,
        provider || '/' || model as SkuId,
        provider || '/' || model || '/' || token_type as SkuPriceId,
        token_type as SkuMeter,
        json_object('ModelId', model, 'ModelDeveloper', coalesce(model_developer, provider_name),
                    'TokenType', token_type) as SkuPriceDetails,
        sub_account_id as SubAccountId,
        sub_account_id as SubAccountName,
        case when sub_account_id is null then null
             when provider = 'anthropic' then 'Workspace' else 'Project' end as SubAccountType,
        json_object('team', team, 'feature', feature, 'environment', environment) as Tags,
        cost_basis as x_CostBasis,
        usage_date as x_UsageDate
    from named
)

select * from final
order by x_UsageDate, ProviderName, SkuId, SubAccountId nulls first, Tags, SkuMeter
