with

source as (
    {{ contract_source('product', 'trial_events') }}
),

renamed as (
    select
        -- ids
        id as trial_event_id,
        {{ normalize_email('email') }} as email,
        {{ domain_from_url('account_domain') }} as account_domain,

        -- event
        lower(trim(event_name)) as event_name,
        occurred_at,

        {{ recency_rank('product', 'trial_events') }} as recency_rank
    from source
),

final as (
    select
        trial_event_id,
        email,
        account_domain,
        event_name,
        occurred_at
    from renamed
    where recency_rank = 1
)

select * from final
