with

source as (
    {{ contract_source('salesforce', 'task') }}
),

renamed as (
    select
        -- ids
        id as task_id,
        who_id,
        what_id,

        -- touch
        subject,
        task_subtype,
        status as task_status,
        activity_date,
        created_date as created_at,

        coalesce(is_deleted, false) as is_deleted,
        {{ recency_rank('salesforce', 'task') }} as recency_rank
    from source
),

final as (
    select
        task_id,
        who_id,
        what_id,
        subject,
        task_subtype,
        task_status,
        activity_date,
        created_at
    from renamed
    where
        recency_rank = 1
        and not is_deleted
)

select * from final
