-- Raw model ids -> canonical model, once per distinct raw id: drop the provider prefix and a
-- Bedrock cross-region prefix, then an explicit alias wins; otherwise drop `-latest` and a
-- dated snapshot suffix (gpt-4o-2024-08-06 -> gpt-4o, claude-haiku-4-5-20251001 ->
-- claude-haiku-4-5). Grain: model_raw.
with model_ids as (
    select distinct model_raw from stg_lake__requests
    union
    select distinct model_raw from stg_lake__usage_buckets where model_raw is not null
),

aliases as (
    select * from stg_pricing__model_aliases
),

stripped as (
    select
        model_raw,
        regexp_replace(
            regexp_replace(
                lower(trim(model_raw)),
                '^(openai|anthropic|gemini|google|vertex_ai|vertex_ai_beta|azure|azure_ai|bedrock|openrouter|models)/',
                ''
            ),
            '^(us|eu|apac|jp|au|ca|global|us-gov)\.',
            ''
        ) as model_stripped
    from model_ids
),

undated as (
    select
        *,
        regexp_replace(
            regexp_replace(model_stripped, '-latest$', ''),
            '-(\d{4}-\d{2}-\d{2}|\d{8})$',
            ''
        ) as model_undated
    from stripped
),

final as (
    select
        undated.model_raw,
        coalesce(exact_alias.model, undated_alias.model, undated.model_undated) as model
    from undated
    left join aliases as exact_alias
        on exact_alias.alias = undated.model_stripped
    left join aliases as undated_alias
        on undated_alias.alias = undated.model_undated
)

select * from final
