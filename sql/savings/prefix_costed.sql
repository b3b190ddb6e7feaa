-- Per request of the prompt-cache replay: simulated cache reads and writes priced with the
-- request's own price row, for the 5-minute TTL and, where the provider offers it (Anthropic,
-- Bedrock), the 1-hour TTL. Reads from prefix_rows (requests + prices + the caching rule in
-- force + the replay's simulated read/write tokens, already in provider tokens).
-- A request keeps at least the cache reads it really had (the simulation only adds caching);
-- reads cost the price row's cache-read price (else input x read_multiplier); explicit caching
-- pays the 5-minute / 1-hour write price (else input x write_multiplier / write_1h_multiplier);
-- automatic and implicit caching (OpenAI, Gemini) write at the plain input price.
-- Each stable prefix then takes the TTL that saves more over its requests (cache_control sets
-- the TTL per breakpoint), or neither when both cost more than they save.
with priced as (
    select
        *,
        coalesce(cache_read_usd_per_token, input_usd_per_token * read_multiplier) as read_price,
        case when caching = 'explicit'
            then coalesce(cache_write_usd_per_token, input_usd_per_token * write_multiplier)
            else input_usd_per_token * write_multiplier
        end as write_price,
        case when caching = 'explicit' and write_1h_multiplier is not null
            then coalesce(cache_write_1h_usd_per_token,
                          input_usd_per_token * write_1h_multiplier)
        end as write_1h_price,
        least(input_tokens, greatest(simulated_read_tokens, cache_read_input_tokens))
            as read_tokens_5m,
        least(input_tokens, greatest(simulated_read_tokens_1h, cache_read_input_tokens))
            as read_tokens_1h
    from prefix_rows
),

written as (
    select
        *,
        least(simulated_write_tokens, input_tokens - read_tokens_5m) as write_tokens_5m,
        least(simulated_write_tokens_1h, input_tokens - read_tokens_1h) as write_tokens_1h
    from priced
),

costed as (
    select
        *,
        read_tokens_5m * read_price + write_tokens_5m * write_price
            + (input_tokens - read_tokens_5m - write_tokens_5m) * input_usd_per_token
            as simulated_input_cost_5m_usd,
        case when write_1h_price is not null then
            read_tokens_1h * read_price + write_tokens_1h * write_1h_price
                + (input_tokens - read_tokens_1h - write_tokens_1h) * input_usd_per_token
        end as simulated_input_cost_1h_usd
    from written
),

by_prefix as (
    select
        *,
        sum(actual_input_cost_usd - simulated_input_cost_5m_usd) over prefix as prefix_saved_5m_usd,
        sum(actual_input_cost_usd - simulated_input_cost_1h_usd) over prefix as prefix_saved_1h_usd
    from costed
    window prefix as (partition by provider, model, prefix_hash)
),

final as (
    select
        *,
        case when coalesce(prefix_saved_1h_usd, -1e308) > prefix_saved_5m_usd then '1h' else '5m'
        end as best_ttl
    from by_prefix
)

select
    *,
    case best_ttl when '1h' then read_tokens_1h else read_tokens_5m end as read_tokens,
    case best_ttl when '1h' then write_tokens_1h else write_tokens_5m end as write_tokens,
    case best_ttl when '1h' then simulated_input_cost_1h_usd else simulated_input_cost_5m_usd end
        as simulated_input_cost_usd,
    actual_input_cost_usd - case best_ttl when '1h' then simulated_input_cost_1h_usd
        else simulated_input_cost_5m_usd end as saved_usd,
    case best_ttl when '1h' then prefix_saved_1h_usd else prefix_saved_5m_usd end
        as prefix_saved_usd,
    case best_ttl when '1h' then simulated_read_tokens_1h else simulated_read_tokens end
        > cache_read_input_tokens as is_hit
from final
