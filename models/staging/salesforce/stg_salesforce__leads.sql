{%- set custom_fields = custom_lead_fields() -%}
{%- set known_statuses = ['Open', 'Working', 'Nurturing', 'Unqualified', 'Converted']
    + var('closed_lead_statuses', []) + var('unworked_lead_statuses', []) -%}

with

source as (
    {{ screened_source('salesforce', 'lead', custom_fields) }}
),

personal_email_domains as (
    select * from {{ ref('personal_email_domains') }}
),

renamed as (
    select
        -- ids
        id as lead_id,
        owner_id,

        -- person
        {{ clean_email('email') }} as email,
        {{ clean_text('first_name', 255) }} as first_name,
        {{ clean_text('last_name', 255) }} as last_name,
        {{ clean_text('title', 255) }} as title,
        {{ clean_text('country', 255) }} as country,

        -- company
        {{ clean_text('company', 255) }} as company_name,
        {{ clean_domain('website') }} as website_domain,
        {{ clean_text('industry', 255) }} as industry,
        {{ employee_count('number_of_employees') }} as number_of_employees,
        {{ amount_usd('annual_revenue') }} as annual_revenue,

        -- funnel
        {{ clean_text('lead_source', 255) }} as lead_source,
        {{ canonical_value('status', known_statuses) }} as lead_status,
        created_date as created_at,
        {{ plausible_time('last_modified_date') }} as last_modified_at,

        -- conversion
        coalesce(is_converted, false) as is_converted,
        {{ plausible_time('converted_date') }} as converted_date,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id{% for field in custom_fields %},
        {{ field }}{% endfor %}
    from source
    -- rows without an id, older loads, deleted leads and leads without a plausible created_date are in
    -- stg_salesforce__leads_rejected with the reason
    where rejection_reason is null
),

with_company_domain as (
    select
        renamed.*,
        {{ email_domain('renamed.email') }} as email_domain,
        personal_email_domains.domain is not null as is_personal_email,
        coalesce(
            renamed.website_domain,
            case when personal_email_domains.domain is null then {{ email_domain('renamed.email') }} end
        ) as company_domain
    from renamed
    left join personal_email_domains
        on {{ email_domain('renamed.email') }} = personal_email_domains.domain
),

final as (
    select
        lead_id,
        owner_id,
        email,
        email_domain,
        is_personal_email,
        first_name,
        last_name,
        title,
        country,
        company_name,
        website_domain,
        company_domain,
        industry,
        number_of_employees,
        annual_revenue,
        lead_source,
        lead_status,
        created_at,
        last_modified_at,
        is_converted,
        converted_date,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id{% for field in custom_fields %},
        {{ field }}{% endfor %}
    from with_company_domain
)

select * from final
