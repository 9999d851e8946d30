with

source as (
    {{ screened_source('signals', 'company_enrichment') }}
),

renamed as (
    select
        -- ids
        {{ clean_domain('domain') }} as domain,

        -- firmographics
        {{ employee_count('employee_count') }} as employee_count,
        {{ amount_usd('annual_revenue') }} as annual_revenue,
        {{ clean_text('industry', 255) }} as industry,
        {{ clean_text('sub_industry', 255) }} as sub_industry,
        {{ clean_text('country', 255) }} as country,
        case
            when founded_year >= 1600 and founded_year <= {{ run_started_at.year }} then founded_year
        end as founded_year,
        lower(trim(tech_stack)) as tech_stack,
        enriched_at
    from source
    -- rows without a usable domain and repeated (domain, enriched_at) loads are in int_source_rows_rejected
    where rejection_reason is null
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'domain', "'|'", "coalesce(cast(enriched_at as " ~ dbt.type_string() ~ "), '')"
        ])) }} as enrichment_id,
        domain,
        employee_count,
        annual_revenue,
        industry,
        sub_industry,
        country,
        founded_year,
        tech_stack,
        enriched_at
    from renamed
)

select * from final
