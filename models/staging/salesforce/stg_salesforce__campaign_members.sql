with

source as (
    {{ contract_source('salesforce', 'campaign_member') }}
),

renamed as (
    select
        -- ids
        id as campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,

        -- response
        status as member_status,
        coalesce(has_responded, false) as has_responded,
        first_responded_date,
        created_date as created_at,

        coalesce(is_deleted, false) as is_deleted,
        {{ recency_rank('salesforce', 'campaign_member') }} as recency_rank
    from source
),

final as (
    select
        campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,
        member_status,
        has_responded,
        first_responded_date,
        created_at
    from renamed
    where
        recency_rank = 1
        and not is_deleted
)

select * from final
