with

source as (
    {{ screened_source('salesforce', 'contact') }}
),

renamed as (
    select
        -- ids
        id as contact_id,
        account_id,

        -- person
        {{ clean_email('email') }} as email,
        {{ clean_text('title', 255) }} as title,
        {{ clean_text('department', 255) }} as department,

        -- funnel
        {{ clean_text('lead_source', 255) }} as lead_source,
        {{ plausible_time('created_date') }} as created_at
    from source
    where rejection_reason is null
),

final as (
    select
        contact_id,
        account_id,
        email,
        {{ email_domain('email') }} as email_domain,
        title,
        department,
        lead_source,
        created_at
    from renamed
)

select * from final
