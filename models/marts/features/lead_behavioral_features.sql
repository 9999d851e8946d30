{#- Behavioural features: counts of each lead activity over every look-back window, per lead snapshot. -#}

with

snapshots as (
    select * from {{ ref('int_lead_snapshots') }}
),

snapshot_activity as (
    select * from {{ ref('int_lead_activity_by_snapshot') }}
),

final as (
    select
        snapshots.lead_id,
        snapshots.as_of_date,
        {% for feature_name in behavioral_feature_names() -%}
            cast(coalesce(snapshot_activity.{{ feature_name }}, 0) as {{ dbt.type_bigint() }})
                as {{ feature_name }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from snapshots
    left join snapshot_activity
        on
            snapshots.lead_id = snapshot_activity.lead_id
            and snapshots.as_of_date = snapshot_activity.as_of_date
)

select * from final
