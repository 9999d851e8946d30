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

compared as (
    select
        coalesce(python_scores.lead_id, sql_scores.lead_id) as lead_id,
        python_scores.conversion_probability as python_probability,
        sql_scores.conversion_probability as sql_probability,
        case
            when python_scores.lead_id is null then 'scored by SQL only'
            when sql_scores.lead_id is null then 'scored by Python only'
            when python_scores.model_version != sql_scores.model_version
                or python_scores.scoring_method != sql_scores.scoring_method then 'different model or method'
            when (python_scores.conversion_probability is null) != (sql_scores.conversion_probability is null)
                or abs(python_scores.conversion_probability - sql_scores.conversion_probability) > 1e-9
                then 'probability differs'
            when python_scores.lead_score != sql_scores.lead_score then 'score differs'
            when python_scores.priority_band != sql_scores.priority_band then 'band differs'
        {%- for direction in ['up', 'down'] %}
            {%- for rank in [1, 2, 3] %}
            when coalesce(python_scores.reason_{{ direction }}_{{ rank }}, '-')
                != coalesce(sql_scores.reason_{{ direction }}_{{ rank }}, '-') then 'reason_{{ direction }}_{{ rank }} differs'
            {%- endfor %}
        {%- endfor %}
        end as difference
    from python_scores
    full outer join sql_scores
        on python_scores.lead_id = sql_scores.lead_id
)

select * from compared
where difference is not null
