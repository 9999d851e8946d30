{%- set custom_fields = var('lead_custom_fields', []) -%}

with

source as (
    {{ contract_source('salesforce', 'lead', custom_fields) }}
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
        {{ normalize_email('email') }} as email,
        {{ email_domain('email') }} as email_domain,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        trim(title) as title,
        country,

        -- company
        trim(company) as company_name,
        {{ domain_from_url('website') }} as website_domain,
        industry,
        number_of_employees,
        annual_revenue,

        -- funnel
        lead_source,
        status as lead_status,
        created_date as created_at,

        -- conversion
        coalesce(is_converted, false) as is_converted,
        converted_date,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id,

        -- custom fields
        {%- for field in custom_fields %}
        {{ field }},
        {%- endfor %}

        coalesce(is_deleted, false) as is_deleted,
        {{ recency_rank('salesforce', 'lead') }} as recency_rank
    from source
),

with_company_domain as (
    select
        renamed.*,
        personal_email_domains.domain is not null as is_personal_email,
        coalesce(
            renamed.website_domain,
            case when personal_email_domains.domain is null then renamed.email_domain end
        ) as company_domain
    from renamed
    left join personal_email_domains
        on renamed.email_domain = personal_email_domains.domain
    where
        renamed.recency_rank = 1
        and not renamed.is_deleted
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
        is_converted,
        converted_date,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id{% for field in custom_fields %},
        {{ field }}{% endfor %}
    from with_company_domain
)

select * from final
