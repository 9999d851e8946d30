with

source as (
    {{ screened_source('segment', 'identifies') }}
),

final as (
    select
        -- ids
        id as identify_id,
        anonymous_id,
        user_id,

        -- identity
        {{ clean_email('email') }} as email,
        {{ adapter.quote('timestamp') }} as identified_at
    from source
    where rejection_reason is null
)

select * from final
