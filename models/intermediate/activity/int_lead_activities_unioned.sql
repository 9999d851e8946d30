{#- One row per lead activity from every source, with the date it happened and the date it became known. -#}

with

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

web_events as (
    select * from {{ ref('int_web_events_stitched_to_leads') }}
),

email_events as (
    select * from {{ ref('stg_marketing__email_events') }}
),

trial_events as (
    select * from {{ ref('stg_product__trial_events') }}
),

tasks as (
    select * from {{ ref('stg_salesforce__tasks') }}
),

campaign_members as (
    select * from {{ ref('stg_salesforce__campaign_members') }}
),

campaigns as (
    select * from {{ ref('stg_salesforce__campaigns') }}
),

call_transcripts as (
    select * from {{ ref('stg_product__call_transcripts') }}
),

lead_emails as (
    select
        lead_id,
        email
    from leads
    where email is not null
),

web_activities as (
    select
        lead_id,
        case when event_source = 'page' then 'web_page' else 'web_track' end as activity_source,
        lower(event_name) as activity_type,
        cast(occurred_at as date) as activity_date,
        cast(known_at as date) as known_date
    from web_events
),

email_activities as (
    select
        lead_emails.lead_id,
        'email' as activity_source,
        lower(email_events.event_type) as activity_type,
        cast(email_events.occurred_at as date) as activity_date,
        cast(email_events.occurred_at as date) as known_date
    from email_events
    inner join lead_emails
        on email_events.email = lead_emails.email
    where lower(email_events.event_type) in ('open', 'click', 'unsubscribe')
),

trial_activities as (
    select
        lead_emails.lead_id,
        'trial' as activity_source,
        lower(trial_events.event_name) as activity_type,
        cast(trial_events.occurred_at as date) as activity_date,
        cast(trial_events.occurred_at as date) as known_date
    from trial_events
    inner join lead_emails
        on trial_events.email = lead_emails.email
),

task_activities as (
    select
        leads.lead_id,
        'task' as activity_source,
        lower(coalesce(tasks.task_subtype, 'task')) as activity_type,
        coalesce(tasks.activity_date, cast(tasks.created_at as date)) as activity_date,
        greatest(
            coalesce(tasks.activity_date, cast(tasks.created_at as date)),
            cast(tasks.created_at as date)
        ) as known_date
    from tasks
    inner join leads
        on tasks.who_id = leads.lead_id
),

campaign_activities as (
    select
        campaign_members.lead_id,
        'campaign' as activity_source,
        lower(coalesce(campaigns.campaign_type, 'other')) as activity_type,
        campaign_members.first_responded_date as activity_date,
        greatest(
            campaign_members.first_responded_date,
            cast(campaign_members.created_at as date)
        ) as known_date
    from campaign_members
    left join campaigns
        on campaign_members.campaign_id = campaigns.campaign_id
    where
        campaign_members.has_responded
        and campaign_members.lead_id is not null
        and campaign_members.first_responded_date is not null
),

call_activities as (
    select
        lead_id,
        'call' as activity_source,
        'call' as activity_type,
        cast(started_at as date) as activity_date,
        cast(started_at as date) as known_date
    from call_transcripts
    where lead_id is not null
),

all_activities as (
    select * from web_activities
    union all
    select * from email_activities
    union all
    select * from trial_activities
    union all
    select * from task_activities
    union all
    select * from campaign_activities
    union all
    select * from call_activities
),

final as (
    -- an activity joins a lead through its email or id, a link that exists only once the lead does
    select
        all_activities.lead_id,
        all_activities.activity_source,
        all_activities.activity_type,
        all_activities.activity_date,
        greatest(all_activities.known_date, cast(leads.created_at as date)) as known_date
    from all_activities
    inner join leads
        on all_activities.lead_id = leads.lead_id
    where all_activities.activity_date is not null
)

select * from final
