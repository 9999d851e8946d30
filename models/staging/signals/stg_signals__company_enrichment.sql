{%- set enrichment_key = domain_from_url('domain') ~ ', enriched_at' -%}

with

source as (
    {{ contract_source('signals', 'company_enrichment') }}
),

renamed as (
    select
        -- ids
        {{ domain_from_url('domain') }} as domain,

        -- firmographics
        employee_count,
        annual_revenue,
        industry,
        sub_industry,
        country,
        founded_year,
        lower(trim(tech_stack)) as tech_stack,
        enriched_at,

        {{ recency_rank('signals', 'company_enrichment', partition_by=enrichment_key) }} as recency_rank
    from source
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
    where
        recency_rank = 1
        and domain is not null
)

select * from final
