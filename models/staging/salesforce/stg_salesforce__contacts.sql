with

source as (
    {{ contract_source('salesforce', 'contact') }}
),

renamed as (
    select
        -- ids
        id as contact_id,
        account_id,

        -- person
        {{ normalize_email('email') }} as email,
        {{ email_domain('email') }} as email_domain,
        trim(title) as title,
        department,

        -- funnel
        lead_source,
        created_date as created_at,

        coalesce(is_deleted, false) as is_deleted,
        {{ recency_rank('salesforce', 'contact') }} as recency_rank
    from source
),

final as (
    select
        contact_id,
        account_id,
        email,
        email_domain,
        title,
        department,
        lead_source,
        created_at
    from renamed
    where
        recency_rank = 1
        and not is_deleted
)

select * from final
