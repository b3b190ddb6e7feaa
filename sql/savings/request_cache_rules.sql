-- One row per request: the provider prompt-caching rule in force for it (pricing/
-- prompt_cache_rules.csv, registered as prompt_cache_rules). Among the rules matching the
-- request's provider, model (LIKE pattern) and day, the longest pattern wins, then the latest
-- effective_from. Requests no rule covers have no row.
select
    requests.source,
    requests.request_id,
    rules.* exclude (provider, model_pattern, effective_from, effective_to)
from requests
inner join prompt_cache_rules as rules
    on rules.provider = requests.provider
    and requests.model like rules.model_pattern
    and requests.usage_date >= rules.effective_from
    and (rules.effective_to is null or requests.usage_date < rules.effective_to)
qualify row_number() over (
    partition by requests.source, requests.request_id
    order by length(rules.model_pattern) desc, rules.effective_from desc
) = 1
