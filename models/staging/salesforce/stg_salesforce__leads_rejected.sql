{#-
    Every raw lead row that stg_salesforce__leads leaves out, with the reason. Ids and bookkeeping only: the
    person's name and email stay in the raw table.
-#}

with

screened as (
    {{ screened_source('salesforce', 'lead') }}
),

final as (
    select
        -- ids
        id as lead_id,
        owner_id,

        -- why it was left out
        rejection_reason,
        recency_rank = 1 as is_latest_load,

        -- the row as loaded
        {{ clean_text('status', 255) }} as lead_status,
        coalesce(is_converted, false) as is_converted,
        created_date as created_at,
        converted_date,
        _loaded_at as loaded_at
    from screened
    where rejection_reason is not null
)

select * from final
