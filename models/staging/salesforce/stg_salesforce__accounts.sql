with

source as (
    {{ screened_source('salesforce', 'account') }}
),

final as (
    select
        -- ids
        id as account_id,

        -- company
        {{ clean_text('name', 255) }} as account_name,
        {{ clean_domain('website') }} as website_domain,
        {{ clean_text('industry', 255) }} as industry,
        {{ employee_count('number_of_employees') }} as number_of_employees,
        {{ amount_usd('annual_revenue') }} as annual_revenue,
        {{ clean_text('billing_country', 255) }} as billing_country,
        {{ clean_text('type', 255) }} as account_type,
        {{ plausible_time('created_date') }} as created_at
    from source
    where rejection_reason is null
)

select * from final
