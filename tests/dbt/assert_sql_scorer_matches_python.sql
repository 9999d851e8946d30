{#-
    The SQL scorer (int_lead_scores_computed_sql) and the Python scorer (int_lead_scores_computed, the reference)
    agree on every open lead: same model version and method, probabilities at most 1e-9 apart, same score and
    band, same three reasons up and down. Returns each lead where they differ, with what differs. Runs wherever
    the Python scorer does (var scoring_engine 'python').
-#}
{{ config(enabled=scoring_engine() == 'python') }}

with

python_scores as (
    select * from {{ ref('int_lead_scores_computed') }}
),

sql_scores as (
    select * from {{ ref('int_lead_scores_computed_sql') }}
),

paired as (
    select
        coalesce(python_scores.lead_id, sql_scores.lead_id) as lead_id,
        python_scores.lead_id is not null as is_scored_by_python,
        sql_scores.lead_id is not null as is_scored_by_sql,
        python_scores.model_version = sql_scores.model_version
        and python_scores.scoring_method = sql_scores.scoring_method as is_same_model,
        coalesce(
            abs(python_scores.conversion_probability - sql_scores.conversion_probability) <= 1e-9,
            python_scores.conversion_probability is null and sql_scores.conversion_probability is null
        ) as is_same_probability,
        python_scores.lead_score = sql_scores.lead_score as is_same_score,
        python_scores.priority_band = sql_scores.priority_band as is_same_band,
        {%- for direction in ['up', 'down'] %}
            {%- for rank in [1, 2, 3] %}
                coalesce(python_scores.reason_{{ direction }}_{{ rank }}, '-')
                = coalesce(sql_scores.reason_{{ direction }}_{{ rank }}, '-')
                    as is_same_reason_{{ direction }}_{{ rank }},
            {%- endfor %}
        {%- endfor %}
        python_scores.conversion_probability as python_probability,
        sql_scores.conversion_probability as sql_probability
    from python_scores
    full outer join sql_scores
        on python_scores.lead_id = sql_scores.lead_id
),

compared as (
    select
        lead_id,
        python_probability,
        sql_probability,
        case
            when not is_scored_by_sql then 'scored by Python only'
            when not is_scored_by_python then 'scored by SQL only'
            when not is_same_model then 'different model or method'
            when not is_same_probability then 'probability differs'
            when not is_same_score then 'score differs'
            when not is_same_band then 'band differs'
            {%- for direction in ['up', 'down'] %}
                {%- for rank in [1, 2, 3] %}
                    when not is_same_reason_{{ direction }}_{{ rank }} then 'reason_{{ direction }}_{{ rank }} differs'
                {%- endfor %}
            {%- endfor %}
        end as difference
    from paired
)

select * from compared
where difference is not null
