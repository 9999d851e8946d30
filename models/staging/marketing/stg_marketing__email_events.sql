with

source as (
    {{ screened_source('marketing', 'email_events') }}
),

final as (
    select
        -- ids
        id as email_event_id,
        {{ clean_email('email_address') }} as email,
        email_campaign_id,

        -- event
        lower(trim(event_type)) as event_type,
        occurred_at
    from source
    where rejection_reason is null
)

select * from final
