with

source as (
    {{ screened_source('salesforce', 'task') }}
),

final as (
    select
        -- ids
        id as task_id,
        who_id,
        what_id,

        -- touch
        {{ clean_text('subject', 255) }} as subject,
        {{ clean_text('task_subtype', 255) }} as task_subtype,
        {{ clean_text('status', 255) }} as task_status,
        {{ plausible_planned_date('activity_date') }} as activity_date,
        created_date as created_at
    from source
    where rejection_reason is null
)

select * from final
