{#-
    lead_features with the custom field columns added: the rows and columns a model trains on and scores. A view,
    so the wide table is stored once.
-#}
-- depends_on: {{ ref('lead_custom_field_features') }}
{{ config(materialized='view') }}
{%- set custom_fields = custom_lead_fields() %}

with

lead_features as (
    select * from {{ ref('lead_features') }}
),

{% if custom_fields -%}
    custom_field_features as (
        select * from {{ ref('lead_custom_field_features') }}
    ),

    final as (
        select
            lead_features.*,
            {%- for field in custom_fields %}
                custom_field_features.{{ field }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from lead_features
        left join custom_field_features
            on
                lead_features.lead_id = custom_field_features.lead_id
                and lead_features.as_of_date = custom_field_features.as_of_date
    )
{%- else -%}
    final as (
        select * from lead_features
    )
{%- endif %}

select * from final
