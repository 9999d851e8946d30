{#-
    The wide feature table: one row per lead snapshot with its label flags and every feature family.
    The same rows train the model (matured labels) and score today's open leads (is_scoring_row).
-#}
{%- set families = [
    'lead_firmographic_features',
    'lead_behavioral_features',
    'lead_temporal_features',
    'lead_intent_features',
    'lead_conversational_features',
    'lead_account_features',
] -%}
{%- set feature_references = [] -%}
{%- for family in families -%}
    {%- for column_name in feature_columns(ref(family)) -%}
        {%- do feature_references.append(family ~ '.' ~ column_name) -%}
    {%- endfor -%}
{%- endfor -%}

with

snapshots as (
    select * from {{ ref('int_lead_snapshots') }}
),

{% for family in families -%}
    {{ family }} as (
        select * from {{ ref(family) }}
    ),

{% endfor -%}
final as (
    select
        snapshots.lead_id,
        snapshots.as_of_date,
        snapshots.account_domain,
        snapshots.is_scoring_row,
        snapshots.is_label_mature,
        snapshots.is_never_worked,
        snapshots.label{% if feature_references %},{% endif %}
        {% for feature_reference in feature_references -%}
            {{ feature_reference }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from snapshots
    {% for family in families -%}
        inner join {{ family }}
            on
                snapshots.lead_id = {{ family }}.lead_id
                and snapshots.as_of_date = {{ family }}.as_of_date
    {% endfor %}
)

select * from final
