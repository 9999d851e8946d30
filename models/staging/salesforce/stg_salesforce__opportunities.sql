with

source as (
    {{ contract_source('salesforce', 'opportunity') }}
),

renamed as (
    select
        -- ids
        id as opportunity_id,
        account_id,

        -- deal
        name as opportunity_name,
        amount,
        stage_name,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        close_date,
        created_date as created_at,
        lead_source,

        coalesce(is_deleted, false) as is_deleted,
        {{ recency_rank('salesforce', 'opportunity') }} as recency_rank
    from source
),

final as (
    select
        opportunity_id,
        account_id,
        opportunity_name,
        amount,
        stage_name,
        is_closed,
        is_won,
        close_date,
        created_at,
        lead_source
    from renamed
    where
        recency_rank = 1
        and not is_deleted
)

select * from final
