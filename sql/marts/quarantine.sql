-- Grain: one row per rejected record (file x line x reason). reason_code 'duplicate' marks a
-- record already loaded (from this or an earlier file); every other code is a rejected record.
with quarantined as (
    select * from stg_lake__quarantine
),

final as (
    select
        source,
        source_file,
        source_line,
        source_item,
        file_sha256,
        request_id,
        reason_code,
        reason,
        excerpt,
        quarantined_at,
        reason_code = 'duplicate' as is_duplicate
    from quarantined
)

select * from final
