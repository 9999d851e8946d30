with

source as (
    {{ screened_source('salesforce', 'lead_history') }}
),

final as (
    select
        -- ids
        id as lead_history_id,
        lead_id,

        -- change
        lower(trim(field)) as field_name,
        {{ clean_text('old_value', 255) }} as old_value,
        {{ clean_text('new_value', 255) }} as new_value,
        created_date as changed_at
    from source
    where rejection_reason is null
)

select * from final
