-- Team / feature / environment from the attribution rules, per subject: for each target the
-- matching rule with the lowest priority that sets it. Grain: subject_key (only subjects some
-- rule matches).
with subjects as (
    select int_cost_subjects.*, model_ids.model
    from int_cost_subjects
    left join int_model_ids__resolved as model_ids
        on model_ids.model_raw = int_cost_subjects.model_raw
),

rules as (
    select * from stg_attribution__rules
),

matched as (
    select
        subjects.subject_key,
        subjects.source,
        subjects.request_id,
        rules.priority,
        rules.team,
        rules.feature,
        rules.environment
    from subjects
    inner join rules
        on (
            case rules.match_field
                when 'api_key_id' then subjects.api_key_id
                when 'api_key_hash' then subjects.api_key_hash
                when 'project_id' then subjects.project_id
                when 'workspace_id' then subjects.workspace_id
                when 'user_id' then subjects.user_id
                when 'model' then subjects.model
                when 'provider' then subjects.provider
                when 'source' then subjects.source
                when 'service_name' then subjects.tags['service.name']
                when 'tag' then subjects.tags[rules.tag_key]
            end
        ) like rules.like_pattern escape '\'
),

final as (
    select
        subject_key,
        any_value(source) as source,
        any_value(request_id) as request_id,
        arg_min(team, priority) filter (where team is not null) as rule_team,
        arg_min(feature, priority) filter (where feature is not null) as rule_feature,
        arg_min(environment, priority) filter (where environment is not null) as rule_environment
    from matched
    group by subject_key
)

select * from final
