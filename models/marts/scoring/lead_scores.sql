{#-
    One row for every lead open at the run's as-of date: its score, band, SLA, expected value and reasons.
    var scoring_engine picks the scorer: 'python' (the dbt Python model) or 'sql' (the champion compiled to SQL,
    for warehouses without Python models); both give the same scores (tests/dbt/assert_sql_scorer_matches_python).
-#}

with

computed_scores as (
    {%- if scoring_engine() == 'sql' %}
        select * from {{ ref('int_lead_scores_computed_sql') }}
    {%- else %}
        select * from {{ ref('int_lead_scores_computed') }}
    {%- endif %}
),

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

final as (
    select
        computed_scores.lead_id,
        leads.company_domain as account_domain,
        cast(computed_scores.as_of_date as date) as as_of_date,
        cast(computed_scores.conversion_probability as {{ type_double() }}) as conversion_probability,
        cast(computed_scores.lead_score as {{ dbt.type_int() }}) as lead_score,
        computed_scores.priority_band,
        cast(computed_scores.contact_sla_hours as {{ dbt.type_int() }}) as contact_sla_hours,
        cast(computed_scores.expected_deal_size as {{ type_double() }}) as expected_deal_size,
        cast(computed_scores.expected_deal_value as {{ type_double() }}) as expected_deal_value,
        computed_scores.model_version,
        computed_scores.scoring_method,
        computed_scores.reason_up_1,
        computed_scores.reason_up_2,
        computed_scores.reason_up_3,
        computed_scores.reason_down_1,
        computed_scores.reason_down_2,
        computed_scores.reason_down_3,
        computed_scores.contributions_json,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as scored_at
    from computed_scores
    inner join leads
        on computed_scores.lead_id = leads.lead_id
)

select * from final
