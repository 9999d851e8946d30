with

source as (
    {{ contract_source('marketing', 'email_events') }}
),

renamed as (
    select
        -- ids
        id as email_event_id,
        {{ normalize_email('email_address') }} as email,
        email_campaign_id,

        -- event
        lower(trim(event_type)) as event_type,
        occurred_at,

        {{ recency_rank('marketing', 'email_events') }} as recency_rank
    from source
),

final as (
    select
        email_event_id,
        email,
        email_campaign_id,
        event_type,
        occurred_at
    from renamed
    where recency_rank = 1
)

select * from final
