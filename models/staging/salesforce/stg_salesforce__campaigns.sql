with

source as (
    {{ contract_source('salesforce', 'campaign') }}
),

renamed as (
    select
        -- ids
        id as campaign_id,

        -- programme
        name as campaign_name,
        type as campaign_type,
        start_date,

        coalesce(is_deleted, false) as is_deleted,
        {{ recency_rank('salesforce', 'campaign') }} as recency_rank
    from source
),

final as (
    select
        campaign_id,
        campaign_name,
        campaign_type,
        start_date
    from renamed
    where
        recency_rank = 1
        and not is_deleted
)

select * from final
