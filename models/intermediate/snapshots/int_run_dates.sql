{%- set configured_as_of_date = scoring_as_of_date() -%}

with

leads as (
    select created_at as event_at from {{ ref('stg_salesforce__leads') }}
),

page_views as (
    select viewed_at as event_at from {{ ref('stg_segment__pages') }}
),

tracks as (
    select occurred_at as event_at from {{ ref('stg_segment__tracks') }}
),

email_events as (
    select occurred_at as event_at from {{ ref('stg_marketing__email_events') }}
),

trial_events as (
    select occurred_at as event_at from {{ ref('stg_product__trial_events') }}
),

tasks as (
    select created_at as event_at from {{ ref('stg_salesforce__tasks') }}
),

all_events as (
    select * from leads
    union all
    select * from page_views
    union all
    select * from tracks
    union all
    select * from email_events
    union all
    select * from trial_events
    union all
    select * from tasks
),

latest_event as (
    select max(event_at) as latest_event_at
    from all_events
),

final as (
    select
        latest_event_at,
        {% if configured_as_of_date is not none -%}
            {{ configured_as_of_date }}
        {%- else -%}
            {{ date_add_days('cast(latest_event_at as date)', 1) }}
        {%- endif %} as scoring_as_of_date,
        {{ positive_int_var('horizon_days', 90) }} as horizon_days
    from latest_event
)

select * from final
