-- The long-context thresholds in use (one row): a subject's tier floor is the highest of them
-- its input exceeds, so prices are matched per floor, not per request.
select coalesce(
    list(distinct min_input_tokens) filter (where min_input_tokens > 0),
    []::bigint[]
) as thresholds
from stg_pricing__prices
