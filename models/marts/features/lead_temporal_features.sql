{#- Temporal features: recency, velocity, age, decayed engagement and the order in which things happened. -#}

with

snapshots as (
    select * from {{ ref('int_lead_snapshots') }}
),

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

snapshot_activity as (
    select * from {{ ref('int_lead_activity_by_snapshot') }}
),

final as (
    select
        snapshots.lead_id,
        snapshots.as_of_date,
        {{ days_between('cast(leads.created_at as date)', 'snapshots.as_of_date') }}
            as lead_age_days,
        snapshot_activity.days_since_last_engagement,
        snapshot_activity.days_since_first_engagement as days_since_first_touch,
        snapshot_activity.days_since_last_sales_touch,
        snapshot_activity.days_since_last_sales_touch is not null as has_sales_touch,
        cast(coalesce(snapshot_activity.active_days_30d, 0) as {{ dbt.type_bigint() }})
            as active_days_30d,
        cast(coalesce(snapshot_activity.engagement_events_recent, 0) as {{ dbt.type_bigint() }})
            as engagement_events_recent,
        cast(coalesce(snapshot_activity.engagement_events_prior, 0) as {{ dbt.type_bigint() }})
            as engagement_events_prior,
        coalesce(
            {{ safe_divide(
                'snapshot_activity.engagement_events_recent - snapshot_activity.engagement_events_prior',
                'snapshot_activity.engagement_events_recent + snapshot_activity.engagement_events_prior'
            ) }},
            0
        ) as engagement_velocity,
        coalesce(snapshot_activity.decayed_engagement_score, 0) as decayed_engagement_score,
        coalesce(
            snapshot_activity.days_since_first_case_study > snapshot_activity.days_since_last_pricing_view,
            false
        ) as viewed_pricing_after_case_study,
        coalesce(
            snapshot_activity.days_since_first_docs_view > snapshot_activity.days_since_last_demo_request,
            false
        ) as requested_demo_after_docs
    from snapshots
    inner join leads
        on snapshots.lead_id = leads.lead_id
    left join snapshot_activity
        on
            snapshots.lead_id = snapshot_activity.lead_id
            and snapshots.as_of_date = snapshot_activity.as_of_date
)

select * from final
