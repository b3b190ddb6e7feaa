-- Rejected records from every committed ingest run.
with source as (
    select * from lake_quarantine
),

final as (
    select distinct on (file_sha256, source_line, source_item, reason_code)
        source,
        source_file,
        source_line,
        source_item,
        file_sha256,
        request_id,
        reason_code,
        reason,
        excerpt,
        quarantined_at
    from source
    order by file_sha256, source_line, source_item, reason_code, quarantined_at
)

select * from final
