with

source as (
    {{ screened_source('salesforce', 'campaign_member') }}
),

final as (
    select
        -- ids
        id as campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,

        -- response
        {{ clean_text('status', 255) }} as member_status,
        coalesce(has_responded, false) as has_responded,
        {{ plausible_time('first_responded_date') }} as first_responded_date,
        {{ plausible_time('created_date') }} as created_at
    from source
    where rejection_reason is null
)

select * from final
