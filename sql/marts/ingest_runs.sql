-- Grain: one row per ingested file. records_read = records_loaded + records_duplicate +
-- records_quarantined for every row (conservation; checked by an asset check).
with runs as (
    select * from stg_lake__ingest_runs
),

final as (
    select
        *,
        records_read = records_loaded + records_duplicate + records_quarantined as is_balanced
    from runs
)

select * from final
