with

source as (
    {{ screened_source('product', 'trial_events') }}
),

final as (
    select
        -- ids
        id as trial_event_id,
        {{ clean_email('email') }} as email,
        {{ clean_domain('account_domain') }} as account_domain,

        -- event
        lower(trim(event_name)) as event_name,
        occurred_at
    from source
    where rejection_reason is null
)

select * from final
