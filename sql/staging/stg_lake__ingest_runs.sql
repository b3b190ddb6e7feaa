-- The conservation ledger: one row per ingested file.
with source as (
    select * from lake_ingest_runs
),

final as (
    select
        run_id,
        source,
        source_file,
        file_sha256,
        file_bytes,
        records_read,
        records_loaded,
        records_duplicate,
        records_quarantined,
        min_occurred_at,
        max_occurred_at,
        usage_dates,
        ingested_at
    from source
)

select * from final
