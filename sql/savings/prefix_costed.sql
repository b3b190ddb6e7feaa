-- Per request of the prompt-cache replay: simulated cache reads and writes priced with the
-- request's own price row. Reads from prefix_rows (requests + prices + the caching rule in
-- force + the replay's simulated read/write tokens, already in provider tokens).
-- A request keeps at least the cache reads it really had (the simulation only adds caching);
-- cache reads cost the price row's cache-read price (else input x read_multiplier); explicit
-- caching (Anthropic, Bedrock) pays the 5-minute write price (else input x write_multiplier),
-- automatic and implicit caching (OpenAI, Gemini) write at the plain input price.
with priced as (
    select
        *,
        coalesce(cache_read_usd_per_token, input_usd_per_token * read_multiplier) as read_price,
        case when caching = 'explicit'
            then coalesce(cache_write_usd_per_token, input_usd_per_token * write_multiplier)
            else input_usd_per_token * write_multiplier
        end as write_price,
        least(input_tokens, greatest(simulated_read_tokens, cache_read_input_tokens))
            as read_tokens
    from prefix_rows
),

costed as (
    select
        *,
        least(simulated_write_tokens, input_tokens - read_tokens) as write_tokens,
        read_tokens * read_price
            + least(simulated_write_tokens, input_tokens - read_tokens) * write_price
            + (input_tokens - read_tokens - least(simulated_write_tokens, input_tokens - read_tokens))
                * input_usd_per_token as simulated_input_cost_usd
    from priced
),

final as (
    select
        *,
        actual_input_cost_usd - simulated_input_cost_usd as saved_usd,
        simulated_read_tokens > cache_read_input_tokens as is_hit,
        sum(actual_input_cost_usd - simulated_input_cost_usd) over (
            partition by provider, model, prefix_hash) as prefix_saved_usd
    from costed
)

select * from final
