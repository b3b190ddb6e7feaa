-- Raw model ids -> canonical model, once per distinct raw id. An explicit alias wins (matched on
-- the raw id, on the id without its provider path and region prefix, then on the canonical id);
-- otherwise the rule in llm_model_canonical() (pipelines/sources/macros.sql): Bedrock ARNs,
-- region / global. profiles, vendor prefixes and version suffixes, Vertex `models/...` and
-- `publishers/.../models/...` names, OpenRouter `vendor/model[:variant]`, `-latest`, dated
-- snapshots. Provider-blind: the price is looked up with the request's own provider (who bills).
-- Grain: model_raw.
with model_ids as (
    select distinct model_raw from stg_lake__requests
    union
    select distinct model_raw from stg_lake__usage_buckets where model_raw is not null
),

aliases as (
    select * from stg_pricing__model_aliases
),

normalised as (
    select
        model_raw,
        lower(trim(model_raw)) as model_lower,
        regexp_replace(
            regexp_replace(
                lower(trim(model_raw)),
                '^(openai|anthropic|gemini|google|vertex_ai|vertex_ai_beta|azure|azure_ai|bedrock|openrouter|models)/',
                ''
            ),
            '^(us|eu|apac|jp|au|ca|in|global|us-gov)\.',
            ''
        ) as model_stripped,
        llm_model_canonical(model_raw) as model_canonical
    from model_ids
),

final as (
    select
        normalised.model_raw,
        coalesce(
            raw_alias.model, stripped_alias.model, canonical_alias.model,
            normalised.model_canonical
        ) as model
    from normalised
    left join aliases as raw_alias
        on raw_alias.alias = normalised.model_lower
    left join aliases as stripped_alias
        on stripped_alias.alias = normalised.model_stripped
    left join aliases as canonical_alias
        on canonical_alias.alias = normalised.model_canonical
)

select * from final
