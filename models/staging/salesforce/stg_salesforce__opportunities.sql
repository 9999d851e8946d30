with

source as (
    {{ screened_source('salesforce', 'opportunity') }}
),

final as (
    select
        -- ids
        id as opportunity_id,
        account_id,

        -- deal
        {{ clean_text('name', 255) }} as opportunity_name,
        {{ amount_usd('amount') }} as amount,
        {{ clean_text('stage_name', 255) }} as stage_name,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        {{ plausible_planned_date('close_date') }} as close_date,
        {{ plausible_time('created_date') }} as created_at,
        {{ clean_text('lead_source', 255) }} as lead_source
    from source
    where rejection_reason is null
)

select * from final
