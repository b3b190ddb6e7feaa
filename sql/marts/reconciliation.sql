-- Grain: usage_date x provider x model x account (the export's project, else its workspace;
-- '(none)' when the export names neither), for provider-days with a provider export. The logs'
-- cost against the bill, and the difference explained as a waterfall that adds up exactly:
-- difference_usd = no_logs_usd + server_tools_usd + tier_usd + cache_ttl_usd
--                + unseen_requests_usd + volume_usd + price_usd + residual_usd.
with settings as (
    select * from reconcile_settings
),

buckets as (
    select * from usage_buckets
),

requests as (
    select * from requests
),

price_rows as (
    select * from prices
    where min_input_tokens = 0
),

-- The bill of a provider-day: its cost export when one was ingested, else its usage export
-- priced (the same rule as daily_costs and cost_coverage).
bill_days as (
    select
        usage_date,
        provider,
        bool_or(kind = 'cost') as has_cost_export,
        bool_or(kind = 'usage') as has_usage_export,
        count(distinct coalesce(project_id, workspace_id, '(none)')) as accounts,
        min(coalesce(project_id, workspace_id, '(none)')) as first_account
    from buckets
    group by usage_date, provider
),

bill_accounts as (
    select distinct usage_date, provider, coalesce(project_id, workspace_id, '(none)') as account
    from buckets
),

-- A request belongs to the account its project names; on a day whose export knows a single
-- account, every request does (a one-workspace organisation); otherwise it is '(unmatched)'.
log_rows as (
    select
        requests.*,
        case
            when bill_accounts.account is not null then bill_accounts.account
            when bill_days.accounts = 1 then bill_days.first_account
            else coalesce(requests.project, '(unmatched)')
        end as account
    from requests
    inner join bill_days
        on bill_days.usage_date = requests.usage_date
        and bill_days.provider = requests.provider
    left join bill_accounts
        on bill_accounts.usage_date = requests.usage_date
        and bill_accounts.provider = requests.provider
        and bill_accounts.account = requests.project
),

bill_rows as (
    select
        buckets.*,
        coalesce(buckets.project_id, buckets.workspace_id, '(none)') as account,
        bill_days.has_cost_export
    from buckets
    inner join bill_days
        on bill_days.usage_date = buckets.usage_date
        and bill_days.provider = buckets.provider
),

-- List unit prices per token (lowest priority number wins between price files), for the tier a
-- row was billed or logged at and for the standard tier the volume is measured in.
price_keys as (
    select distinct provider, model, service_tier, usage_date from log_rows
    union
    select distinct provider, model, service_tier, usage_date from bill_rows
    where model is not null
    union
    select distinct provider, model, 'standard', usage_date from log_rows
    union
    select distinct provider, model, 'standard', usage_date from bill_rows
    where model is not null
),

unit_prices as (
    select
        price_keys.provider,
        price_keys.model,
        price_keys.service_tier,
        price_keys.usage_date,
        price_rows.input_usd_per_mtok * 0.000001 as input_usd,
        price_rows.cache_read_usd_per_mtok * 0.000001 as cache_read_usd,
        price_rows.cache_write_5m_usd_per_mtok * 0.000001 as cache_write_5m_usd,
        price_rows.cache_write_1h_usd_per_mtok * 0.000001 as cache_write_1h_usd,
        price_rows.output_usd_per_mtok * 0.000001 as output_usd,
        coalesce(price_rows.web_search_usd_per_call, 0) as web_search_usd
    from price_keys
    inner join price_rows
        on price_rows.provider = price_keys.provider
        and price_rows.model = price_keys.model
        and price_rows.service_tier = price_keys.service_tier
        and price_rows.effective_from <= price_keys.usage_date
        and (price_rows.effective_to is null or price_keys.usage_date < price_rows.effective_to)
    qualify row_number() over (
        partition by price_keys.provider, price_keys.model, price_keys.service_tier,
            price_keys.usage_date
        order by price_rows.priority
    ) = 1
),

standard_prices as (
    select * from unit_prices
    where service_tier = 'standard'
),

-- Logs, per cell: token classes, their cost, and what the non-standard tiers cost above the
-- standard price (so a tier the logs knew is not counted as a cause).
log_cells as (
    select
        log_rows.usage_date,
        log_rows.provider,
        coalesce(log_rows.model, 'unknown') as model,
        log_rows.account,
        count(*) as log_requests,
        count(*) filter (where not log_rows.is_priced) as unpriced_log_requests,
        sum(log_rows.uncached_input_tokens) filter (where log_rows.is_priced) as log_input_q,
        sum(log_rows.cache_read_input_tokens) filter (where log_rows.is_priced) as log_cache_read_q,
        sum(log_rows.cache_creation_input_tokens) filter (where log_rows.is_priced)
            as log_cache_write_q,
        sum(log_rows.cache_creation_1h_input_tokens) filter (where log_rows.is_priced)
            as log_cache_write_1h_q,
        sum(log_rows.output_tokens) filter (where log_rows.is_priced) as log_output_q,
        sum(log_rows.web_search_calls) filter (where log_rows.is_priced) as log_web_search_q,
        coalesce(sum(log_rows.cost_usd), 0) as logs_cost_usd,
        coalesce(sum(log_rows.tool_cost_usd) filter (where log_rows.is_priced), 0)
            as logs_tools_usd,
        coalesce(sum(log_rows.cost_usd - log_rows.tool_cost_usd)
            filter (where log_rows.is_priced and log_rows.service_tier <> 'standard'), 0)
        - coalesce(sum(
            llm_token_cost(log_rows.uncached_input_tokens, standard_prices.input_usd)
            + llm_token_cost(log_rows.cache_read_input_tokens, standard_prices.cache_read_usd)
            + llm_token_cost(log_rows.cache_creation_input_tokens
                             - log_rows.cache_creation_1h_input_tokens,
                             standard_prices.cache_write_5m_usd)
            + llm_token_cost(log_rows.cache_creation_1h_input_tokens,
                             standard_prices.cache_write_1h_usd)
            + llm_token_cost(log_rows.output_tokens, standard_prices.output_usd))
            filter (where log_rows.is_priced and log_rows.service_tier <> 'standard'), 0)
            as logs_tier_premium_usd
    from log_rows
    left join standard_prices
        on standard_prices.provider = log_rows.provider
        and standard_prices.model = log_rows.model
        and standard_prices.usage_date = log_rows.usage_date
    group by all
),

-- Bill rows per token class. A usage row is priced per class at its own tier's list price; a
-- cost row bills one class (token_type) or a server tool (cost_type) in dollars.
bill_classed as (
    select
        bill_rows.*,
        tier_prices.input_usd as t_input,
        tier_prices.cache_read_usd as t_cache_read,
        tier_prices.cache_write_5m_usd as t_write_5m,
        tier_prices.cache_write_1h_usd as t_write_1h,
        tier_prices.output_usd as t_output,
        tier_prices.web_search_usd as t_web_search,
        standard_prices.input_usd as s_input,
        standard_prices.cache_read_usd as s_cache_read,
        standard_prices.cache_write_5m_usd as s_write_5m,
        standard_prices.cache_write_1h_usd as s_write_1h,
        standard_prices.output_usd as s_output,
        case
            when bill_rows.kind = 'usage' then 'usage'
            when bill_rows.token_type in ('input', 'cache_read', 'cache_write_5m',
                                          'cache_write_1h', 'output') then bill_rows.token_type
            when bill_rows.cost_type in ('web_search', 'code_execution', 'web_fetch')
                then 'server_tool'
            else 'other'
        end as bill_class
    from bill_rows
    left join unit_prices as tier_prices
        on tier_prices.provider = bill_rows.provider
        and tier_prices.model = bill_rows.model
        and tier_prices.service_tier = bill_rows.service_tier
        and tier_prices.usage_date = bill_rows.usage_date
    left join standard_prices
        on standard_prices.provider = bill_rows.provider
        and standard_prices.model = bill_rows.model
        and standard_prices.usage_date = bill_rows.usage_date
),

bill_valued as (
    select
        *,
        -- dollars this row bills, split into token classes, server tools and the rest
        case when kind = 'cost' and has_cost_export then billed_cost_usd
             when kind = 'usage' and not has_cost_export then cost_usd end as billed_part,
        case when kind = 'usage' then llm_token_cost(web_search_calls, t_web_search)
             when bill_class = 'server_tool' then billed_cost_usd end as tools_part,
        -- the tokens a cost row stands for at its tier's list price (no tokens export)
        case when kind = 'cost' and bill_class = 'input' then billed_cost_usd / t_input
             when kind = 'cost' and bill_class = 'cache_read' then billed_cost_usd / t_cache_read
             when kind = 'cost' and bill_class = 'cache_write_5m'
                 then billed_cost_usd / t_write_5m
             when kind = 'cost' and bill_class = 'cache_write_1h'
                 then billed_cost_usd / t_write_1h
             when kind = 'cost' and bill_class = 'output' then billed_cost_usd / t_output
        end as implied_q,
        -- what the row's tokens cost above the standard tier (batch is negative)
        case
            when service_tier = 'standard' then 0
            when kind = 'usage' then
                llm_token_cost(input_tokens - cache_read_input_tokens
                               - cache_creation_input_tokens, t_input - s_input)
                + llm_token_cost(cache_read_input_tokens, t_cache_read - s_cache_read)
                + llm_token_cost(cache_creation_input_tokens - cache_creation_1h_input_tokens,
                                 t_write_5m - s_write_5m)
                + llm_token_cost(cache_creation_1h_input_tokens, t_write_1h - s_write_1h)
                + llm_token_cost(output_tokens, t_output - s_output)
            when bill_class = 'input' then billed_cost_usd * (1 - s_input / t_input)
            when bill_class = 'cache_read' then billed_cost_usd * (1 - s_cache_read / t_cache_read)
            when bill_class = 'cache_write_5m' then billed_cost_usd * (1 - s_write_5m / t_write_5m)
            when bill_class = 'cache_write_1h' then billed_cost_usd * (1 - s_write_1h / t_write_1h)
            when bill_class = 'output' then billed_cost_usd * (1 - s_output / t_output)
            else 0
        end as tier_premium
    from bill_classed
),

bill_cells as (
    select
        usage_date,
        provider,
        coalesce(model, 'unknown') as model,
        account,
        bool_or(has_cost_export) as has_cost_export,
        bool_or(kind = 'usage') as has_bill_tokens,
        sum(requests) filter (where kind = 'usage') as bill_requests,
        coalesce(sum(billed_part), 0) as billed_usd,
        coalesce(sum(tools_part) filter (where (kind = 'cost') = has_cost_export), 0)
            as bill_tools_usd,
        coalesce(sum(billed_part) filter (where bill_class = 'other'), 0) as bill_other_usd,
        coalesce(sum(tier_premium) filter (where (kind = 'cost') = has_cost_export), 0)
            as bill_tier_premium_usd,
        -- quantities: the usage export's tokens, else what the cost rows imply
        coalesce(sum(input_tokens - cache_read_input_tokens - cache_creation_input_tokens)
                     filter (where kind = 'usage'),
                 sum(implied_q) filter (where bill_class = 'input')) as bill_input_q,
        coalesce(sum(cache_read_input_tokens) filter (where kind = 'usage'),
                 sum(implied_q) filter (where bill_class = 'cache_read')) as bill_cache_read_q,
        coalesce(sum(cache_creation_input_tokens) filter (where kind = 'usage'),
                 sum(implied_q) filter (where bill_class in ('cache_write_5m', 'cache_write_1h')))
            as bill_cache_write_q,
        coalesce(sum(cache_creation_1h_input_tokens) filter (where kind = 'usage'),
                 sum(implied_q) filter (where bill_class = 'cache_write_1h')) as bill_cache_write_1h_q,
        coalesce(sum(output_tokens) filter (where kind = 'usage'),
                 sum(implied_q) filter (where bill_class = 'output')) as bill_output_q,
        sum(web_search_calls) filter (where kind = 'usage') as bill_web_search_q,
        max(ingested_at) as bill_ingested_at
    from bill_valued
    group by all
),

cells as (
    select
        coalesce(bill_cells.usage_date, log_cells.usage_date) as usage_date,
        coalesce(bill_cells.provider, log_cells.provider) as provider,
        coalesce(bill_cells.model, log_cells.model) as model,
        coalesce(bill_cells.account, log_cells.account) as account,
        bill_cells.* exclude (usage_date, provider, model, account),
        log_cells.* exclude (usage_date, provider, model, account),
        log_cells.usage_date is not null as has_logs_cell,
        -- does any request of the provider-day belong to this account?
        bool_or(log_cells.usage_date is not null) over (
            partition by coalesce(bill_cells.usage_date, log_cells.usage_date),
                coalesce(bill_cells.provider, log_cells.provider),
                coalesce(bill_cells.account, log_cells.account)
        ) as account_has_logs
    from bill_cells
    full outer join log_cells
        on log_cells.usage_date = bill_cells.usage_date
        and log_cells.provider = bill_cells.provider
        and log_cells.model = bill_cells.model
        and log_cells.account = bill_cells.account
),

priced_cells as (
    select
        cells.*,
        standard_prices.input_usd as s_input,
        standard_prices.cache_read_usd as s_cache_read,
        standard_prices.cache_write_5m_usd as s_write_5m,
        standard_prices.cache_write_1h_usd as s_write_1h,
        standard_prices.output_usd as s_output
    from cells
    left join standard_prices
        on standard_prices.provider = cells.provider
        and standard_prices.model = cells.model
        and standard_prices.usage_date = cells.usage_date
),

causes as (
    select
        *,
        cast(coalesce(billed_usd, 0) as decimal(38, 12)) as bill_usd,
        cast(coalesce(logs_cost_usd, 0) as decimal(38, 12)) as logs_usd,
        not account_has_logs and billed_usd is not null as is_no_logs,
        -- volume at the standard list price; 1h cache writes count at the 5m price here and
        -- their premium is the cache TTL cause
        cast(
            coalesce((coalesce(bill_input_q, 0) - coalesce(log_input_q, 0)) * s_input, 0)
            + coalesce((coalesce(bill_cache_read_q, 0) - coalesce(log_cache_read_q, 0))
                       * s_cache_read, 0)
            + coalesce((coalesce(bill_cache_write_q, 0) - coalesce(log_cache_write_q, 0))
                       * s_write_5m, 0)
            + coalesce((coalesce(bill_output_q, 0) - coalesce(log_output_q, 0)) * s_output, 0)
            as decimal(38, 12)) as raw_volume_usd,
        cast(coalesce((coalesce(bill_cache_write_1h_q, 0) - coalesce(log_cache_write_1h_q, 0))
                      * (s_write_1h - s_write_5m), 0) as decimal(38, 12)) as raw_ttl_usd
    from priced_cells
),

split as (
    select
        *,
        bill_usd - logs_usd as difference_usd,
        case when is_no_logs then bill_usd else 0 end as no_logs_usd,
        cast(case when is_no_logs then 0
                  else coalesce(bill_tools_usd, 0) - coalesce(logs_tools_usd, 0) end
             as decimal(38, 12)) as server_tools_usd,
        cast(case when is_no_logs then 0
                  else coalesce(bill_tier_premium_usd, 0) - coalesce(logs_tier_premium_usd, 0)
             end as decimal(38, 12)) as tier_usd,
        case when is_no_logs then 0 else raw_ttl_usd end as cache_ttl_usd,
        -- requests the export counts and the logs never saw, at the logs' cost per request
        -- (only exports that count requests; at most the volume they explain)
        cast(case
            when is_no_logs or bill_requests is null or bill_requests <= log_requests
                or log_requests = 0 or raw_volume_usd <= 0 then 0
            else least(raw_volume_usd,
                       (bill_requests - log_requests) * logs_usd / log_requests)
        end as decimal(38, 12)) as unseen_requests_usd
    from causes
),

explained as (
    select
        *,
        case when is_no_logs then 0 else raw_volume_usd - unseen_requests_usd end as volume_usd,
        -- the token classes' cost difference the quantities do not explain: the same tokens
        -- at another unit price (discounts, long context, rounding)
        case when is_no_logs then 0 else
            (bill_usd - coalesce(bill_tools_usd, 0) - coalesce(bill_other_usd, 0))
            - (logs_usd - coalesce(logs_tools_usd, 0))
            - raw_volume_usd - tier_usd - cache_ttl_usd
        end as price_usd
    from split
),

final as (
    select
        usage_date,
        provider,
        model,
        account,
        case when has_cost_export then 'cost export' when has_bill_tokens then 'usage export'
             else 'no bill row' end as bill_basis,
        coalesce(log_requests, 0) as log_requests,
        bill_requests,
        coalesce(unpriced_log_requests, 0) as unpriced_log_requests,
        logs_usd as logs_cost_usd,
        bill_usd as billed_usd,
        difference_usd,
        round(difference_usd / nullif(bill_usd, 0), 4) as difference_pct,
        round(logs_usd / nullif(bill_usd, 0), 4) as capture_rate,
        cast(coalesce(log_input_q, 0) as bigint) as logs_input_tokens,
        cast(coalesce(log_cache_read_q, 0) as bigint) as logs_cache_read_tokens,
        cast(coalesce(log_cache_write_q, 0) as bigint) as logs_cache_write_tokens,
        cast(coalesce(log_cache_write_1h_q, 0) as bigint) as logs_cache_write_1h_tokens,
        cast(coalesce(log_output_q, 0) as bigint) as logs_output_tokens,
        cast(coalesce(log_web_search_q, 0) as bigint) as logs_web_search_calls,
        has_bill_tokens as bill_has_tokens,
        cast(round(bill_input_q) as bigint) as bill_input_tokens,
        cast(round(bill_cache_read_q) as bigint) as bill_cache_read_tokens,
        cast(round(bill_cache_write_q) as bigint) as bill_cache_write_tokens,
        cast(round(bill_cache_write_1h_q) as bigint) as bill_cache_write_1h_tokens,
        cast(round(bill_output_q) as bigint) as bill_output_tokens,
        cast(bill_web_search_q as bigint) as bill_web_search_calls,
        cast(volume_usd as decimal(38, 12)) as volume_usd,
        cast(price_usd as decimal(38, 12)) as price_usd,
        cast(no_logs_usd as decimal(38, 12)) as no_logs_usd,
        tier_usd,
        cache_ttl_usd,
        server_tools_usd,
        unseen_requests_usd,
        cast(difference_usd - volume_usd - price_usd - no_logs_usd - tier_usd - cache_ttl_usd
             - server_tools_usd - unseen_requests_usd as decimal(38, 12)) as residual_usd,
        list_filter([
            case when no_logs_usd <> 0 then 'no_logs' end,
            case when tier_usd <> 0 then 'tier' end,
            case when cache_ttl_usd <> 0 then 'cache_ttl' end,
            case when server_tools_usd <> 0 then 'server_tools' end,
            case when unseen_requests_usd <> 0 then 'unseen_requests' end
        ], lambda cause: cause is not null) as known_causes,
        settings.tolerance_pct,
        bill_ingested_at
    from explained
    cross join settings
),

with_status as (
    select
        * exclude (tolerance_pct, bill_ingested_at),
        case
            when abs(difference_usd) <= greatest(tolerance_pct * abs(billed_usd),
                                                  (select tolerance_usd from settings))
                then 'ok'
            when abs(residual_usd) <= greatest(tolerance_pct * abs(billed_usd),
                                                (select tolerance_usd from settings))
                then 'explained'
            else 'unexplained'
        end as status,
        tolerance_pct,
        bill_ingested_at
    from final
)

select * from with_status
