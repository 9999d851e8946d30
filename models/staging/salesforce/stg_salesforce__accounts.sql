with

source as (
    {{ contract_source('salesforce', 'account') }}
),

renamed as (
    select
        -- ids
        id as account_id,

        -- company
        trim(name) as account_name,
        {{ domain_from_url('website') }} as website_domain,
        industry,
        number_of_employees,
        annual_revenue,
        billing_country,
        type as account_type,
        created_date as created_at,

        coalesce(is_deleted, false) as is_deleted,
        {{ recency_rank('salesforce', 'account') }} as recency_rank
    from source
),

final as (
    select
        account_id,
        account_name,
        website_domain,
        industry,
        number_of_employees,
        annual_revenue,
        billing_country,
        account_type,
        created_at
    from renamed
    where
        recency_rank = 1
        and not is_deleted
)

select * from final
