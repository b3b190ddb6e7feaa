-- Per request of the prompt-cache replay: simulated cache reads and writes priced with the
-- request's own price row, under the caching set-up its stable prefix does best with. Reads
-- prefix_rows (requests + prices + the caching rule in force + the replay's read/write tokens,
-- in provider tokens, for four set-ups: TTL 5 minutes or 1 hour (Anthropic, Bedrock), with a
-- breakpoint at the end of the static prefix only or also on the last message).
-- A request keeps its real caching where that read more than the set-up would;
-- reads cost the price row's cache-read price (else input x read_multiplier); explicit caching
-- pays the 5-minute / 1-hour write price (else input x write_multiplier / write_1h_multiplier);
-- automatic and implicit caching (OpenAI, Gemini) write at the plain input price and have one
-- set-up (every block is a breakpoint; no 1-hour option).
with base as (
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
        end as write_1h_price
    from prefix_rows
),

setups as (
    -- Every request gets all four set-ups (a prefix must find its chosen one on every row):
    -- where an option does not exist (no 1-hour TTL; automatic caching has no breakpoints to
    -- place) the replay already fell back to the 5-minute / every-block figures.
    select *, '5m' as ttl, 'static prefix + last message' as breakpoints,
        read_tokens_5m_last as sim_read, write_tokens_5m_last as sim_write,
        write_price as setup_write_price
    from base
    union all
    select *, '5m', 'static prefix', read_tokens_5m_static, write_tokens_5m_static, write_price
    from base
    union all
    select *, '1h', 'static prefix + last message', read_tokens_1h_last, write_tokens_1h_last,
        coalesce(write_1h_price, write_price)
    from base
    union all
    select *, '1h', 'static prefix', read_tokens_1h_static, write_tokens_1h_static,
        coalesce(write_1h_price, write_price)
    from base
),

costed as (
    -- Where the request really read more from the cache than the set-up would, it
    -- keeps what really happened (its reads and the writes that made them), at its real cost.
    select
        *,
        cache_read_input_tokens > sim_read as keeps_actual,
        case when cache_read_input_tokens > sim_read then cache_read_input_tokens
            else least(input_tokens, sim_read) end as read_tokens,
        case when cache_read_input_tokens > sim_read then cache_creation_input_tokens
            else least(sim_write, input_tokens - least(input_tokens, sim_read)) end as write_tokens
    from setups
),

priced as (
    select
        *,
        case when keeps_actual then actual_input_cost_usd
            else read_tokens * read_price + write_tokens * setup_write_price
                + (input_tokens - read_tokens - write_tokens) * input_usd_per_token
        end as simulated_input_cost_usd
    from costed
),

by_setup as (
    select
        provider, model, prefix_hash, ttl, breakpoints,
        sum(actual_input_cost_usd - simulated_input_cost_usd) as prefix_saved_usd
    from priced
    group by provider, model, prefix_hash, ttl, breakpoints
),

best as (
    select
        *,
        max(prefix_saved_usd) filter (where ttl = '5m') over prefix as prefix_saved_5m_usd,
        max(prefix_saved_usd) filter (where ttl = '1h') over prefix as prefix_saved_1h_usd
    from by_setup
    window prefix as (partition by provider, model, prefix_hash)
    qualify row_number() over (
        partition by provider, model, prefix_hash
        order by prefix_saved_usd desc, ttl desc, breakpoints desc) = 1
)

select
    priced.*,
    actual_input_cost_usd - simulated_input_cost_usd as saved_usd,
    best.prefix_saved_usd,
    best.prefix_saved_5m_usd,
    best.prefix_saved_1h_usd,
    priced.sim_read > priced.cache_read_input_tokens as is_hit
from priced
inner join best
    on best.provider = priced.provider
    and best.model = priced.model
    and best.prefix_hash = priced.prefix_hash
    and best.ttl = priced.ttl
    and best.breakpoints = priced.breakpoints
