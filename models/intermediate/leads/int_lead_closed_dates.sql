{#-
    When each lead closed (converted or disqualified). The CRM row holds only today's state, so the date is
    reconstructed from the best source at hand, in this order:
    1. field history: the newest status change into the lead's current closed status (salesforce.lead_history);
    2. converted_date, for a converted lead;
    3. last_modified_date, for a lead in a closed status: the row last changed when it was closed (a later mass
       update makes the close look later than it was);
    4. the lead's last recorded activity (sales touch, web, email, trial), for a closed lead with neither;
    5. the day it was created, for a closed lead with no trace at all (it gives no training snapshot).
    A lead that is open today has no close date.
-#}
{%- set closed_statuses = var('closed_lead_statuses', []) -%}

with

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

lead_history as (
    select * from {{ ref('stg_salesforce__lead_history') }}
),

activity_days as (
    select * from {{ ref('int_lead_activity_daily') }}
),

lead_states as (
    select
        lead_id,
        lead_status,
        created_at,
        last_modified_at,
        converted_date,
        coalesce(is_converted, false) or coalesce(lead_status, 'Open') in {{ string_list(closed_statuses) }}
            as is_closed
    from leads
),

status_closes as (
    select
        lead_states.lead_id,
        max(lead_history.changed_at) as closed_at
    from lead_history
    inner join lead_states
        on lead_history.lead_id = lead_states.lead_id
    where
        lead_history.field_name in ('status', 'leadstatus')
        and lead_history.new_value = lead_states.lead_status
        and lead_states.is_closed
    group by 1
),

last_activity as (
    select
        lead_id,
        max(activity_date) as last_activity_date
    from activity_days
    group by 1
),

final as (
    select
        lead_states.lead_id,
        lead_states.is_closed,
        case
            when not lead_states.is_closed then null
            when status_closes.closed_at is not null then cast(status_closes.closed_at as date)
            when lead_states.converted_date is not null then cast(lead_states.converted_date as date)
            when lead_states.last_modified_at is not null then cast(lead_states.last_modified_at as date)
            when last_activity.last_activity_date is not null then cast(last_activity.last_activity_date as date)
            else cast(lead_states.created_at as date)
        end as closed_date,
        case
            when not lead_states.is_closed then null
            when status_closes.closed_at is not null then 'field_history'
            when lead_states.converted_date is not null then 'converted_date'
            when lead_states.last_modified_at is not null then 'last_modified_date'
            when last_activity.last_activity_date is not null then 'last_activity'
            else 'created_date'
        end as closed_date_source
    from lead_states
    left join status_closes
        on lead_states.lead_id = status_closes.lead_id
    left join last_activity
        on lead_states.lead_id = last_activity.lead_id
)

select * from final
