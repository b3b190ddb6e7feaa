-- Attribution rules from the rules file (pipelines/attribution.py validates and loads them).
with source as (
    select * from attribution_rule_rows
),

final as (
    select
        priority,
        match_field,
        tag_key,
        pattern,
        like_pattern,
        team,
        feature,
        environment,
        rule_file,
        rule_line
    from source
)

select * from final
