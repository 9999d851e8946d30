with

source as (
    {{ contract_source('segment', 'identifies') }}
),

renamed as (
    select
        -- ids
        id as identify_id,
        anonymous_id,
        user_id,

        -- identity
        {{ normalize_email('email') }} as email,
        {{ adapter.quote('timestamp') }} as identified_at,

        {{ recency_rank('segment', 'identifies') }} as recency_rank
    from source
),

final as (
    select
        identify_id,
        anonymous_id,
        user_id,
        email,
        identified_at
    from renamed
    where recency_rank = 1
)

select * from final
