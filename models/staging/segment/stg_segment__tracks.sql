with

source as (
    {{ screened_source('segment', 'tracks') }}
),

final as (
    select
        -- ids
        id as track_id,
        anonymous_id,
        user_id,

        -- event
        {{ adapter.quote('timestamp') }} as occurred_at,
        lower(trim(event)) as event_name
    from source
    where rejection_reason is null
)

select * from final
