-- Irregular raw model ids -> canonical model (regular snapshots are handled by rule).
with source as (
    select * from pricing_aliases
),

final as (
    select distinct
        lower(alias) as alias,
        provider as alias_provider,
        lower(model) as model
    from source
)

select * from final
