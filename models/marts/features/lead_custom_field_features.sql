{#-
    The CRM's custom lead fields (var lead_custom_fields) per lead snapshot, under their own names and with the
    raw column's type (boolean, number or text), so any field a team tracks becomes a feature. Kept apart from
    lead_features, whose enforced contract holds the standard columns; the registry and the scorers read the two
    joined on (lead_id, as_of_date). Lead fields overwrite in place: var overwritten_source_timing decides whether
    a snapshot sees today's value (current, the default) or only a value last changed before it.
-#}
{%- set custom_fields = custom_lead_fields() -%}

with

snapshots as (
    select * from {{ ref('int_lead_snapshots') }}
),

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

final as (
    select
        snapshots.lead_id,
        snapshots.as_of_date{% for field in custom_fields %},
        {{ lead_field_at_snapshot('leads.' ~ field) }} as {{ field }}{% endfor %}
    from snapshots
    inner join leads
        on snapshots.lead_id = leads.lead_id
)

select * from final
