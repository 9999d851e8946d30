with

source as (
    {{ contract_source('segment', 'tracks') }}
),

renamed as (
    select
        -- ids
        id as track_id,
        anonymous_id,
        user_id,

        -- event
        {{ adapter.quote('timestamp') }} as occurred_at,
        lower(trim(event)) as event_name,

        {{ recency_rank('segment', 'tracks') }} as recency_rank
    from source
),

final as (
    select
        track_id,
        anonymous_id,
        user_id,
        occurred_at,
        event_name
    from renamed
    where recency_rank = 1
)

select * from final
