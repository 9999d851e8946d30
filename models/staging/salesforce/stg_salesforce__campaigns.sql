with

source as (
    {{ screened_source('salesforce', 'campaign') }}
),

final as (
    select
        -- ids
        id as campaign_id,

        -- programme
        {{ clean_text('name', 255) }} as campaign_name,
        {{ clean_text('type', 255) }} as campaign_type,
        {{ plausible_planned_date('start_date') }} as start_date
    from source
    where rejection_reason is null
)

select * from final
