{#-
    Firmographic and demographic features: who the lead is and what company they work for. CRM values win over
    enrichment. Both sources overwrite their rows in place, so by default every snapshot takes today's values,
    as scoring does (var overwritten_source_timing; point_in_time uses enrichment fetched before the snapshot
    and lead fields last changed before it).
-#}
{%- set icp_technologies = var('icp_technologies', []) -%}
{%- set enrichment_is_point_in_time = overwritten_source_timing('company_enrichment') == 'point_in_time' -%}

with

snapshots as (
    select * from {{ ref('int_lead_snapshots') }}
),

leads as (
    select * from {{ ref('int_leads_classified') }}
),

enrichment as (
    select * from {{ ref('stg_signals__company_enrichment') }}
),

accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

{% if enrichment_is_point_in_time -%}
    snapshot_enrichment as (
        select
            snapshots.lead_id,
            snapshots.as_of_date,
            enrichment.employee_count,
            enrichment.annual_revenue,
            enrichment.industry,
            enrichment.country,
            enrichment.founded_year,
            enrichment.tech_stack,
            row_number() over (
                partition by snapshots.lead_id, snapshots.as_of_date
                order by enrichment.enriched_at desc, enrichment.enrichment_id asc
            ) as recency_rank
        from snapshots
        inner join enrichment
            on
                snapshots.account_domain = enrichment.domain
                and enrichment.enriched_at < cast(snapshots.as_of_date as {{ dbt.type_timestamp() }})
    ),

    latest_enrichment as (
        select * from snapshot_enrichment
        where recency_rank = 1
    ),
{%- else -%}
    ranked_enrichment as (
        select
            domain,
            employee_count,
            annual_revenue,
            industry,
            country,
            founded_year,
            tech_stack,
            row_number() over (
                partition by domain
                order by enriched_at desc, enrichment_id asc
            ) as recency_rank
        from enrichment
    ),

    domain_enrichment as (
        select * from ranked_enrichment
        where recency_rank = 1
    ),

    latest_enrichment as (
        select
            snapshots.lead_id,
            snapshots.as_of_date,
            domain_enrichment.employee_count,
            domain_enrichment.annual_revenue,
            domain_enrichment.industry,
            domain_enrichment.country,
            domain_enrichment.founded_year,
            domain_enrichment.tech_stack
        from snapshots
        inner join domain_enrichment
            on snapshots.account_domain = domain_enrichment.domain
    ),
{%- endif %}

competitor_domains as (
    select
        website_domain as account_domain,
        min(created_at) as first_flagged_at
    from accounts
    where
        account_type = 'Competitor'
        and website_domain is not null
    group by 1
),

combined as (
    select
        snapshots.lead_id,
        snapshots.as_of_date,
        coalesce(
            {{ lead_field_at_snapshot('leads.number_of_employees') }}, latest_enrichment.employee_count
        ) as employee_count,
        coalesce({{ lead_field_at_snapshot('leads.annual_revenue') }}, latest_enrichment.annual_revenue)
            as annual_revenue,
        coalesce({{ lead_field_at_snapshot('leads.industry') }}, latest_enrichment.industry) as industry,
        coalesce({{ lead_field_at_snapshot('leads.country') }}, latest_enrichment.country) as country,
        latest_enrichment.tech_stack,
        -- spaces dropped and commas added around, so a technology matches only a whole entry of the list
        {{ dbt.concat(["','", dbt.replace('latest_enrichment.tech_stack', "' '", "''"), "','"]) }}
            as padded_tech_stack,
        latest_enrichment.founded_year,
        coalesce({{ lead_field_at_snapshot('leads.seniority') }}, 'unknown') as seniority,
        coalesce({{ lead_field_at_snapshot('leads.department') }}, 'unknown') as department,
        {{ lead_field_at_snapshot('leads.lead_source') }} as lead_source,
        coalesce(leads.is_personal_email, false) as is_personal_email,
        snapshots.account_domain is not null as has_company_domain,
        competitor_domains.account_domain is not null as is_competitor_account
    from snapshots
    inner join leads
        on snapshots.lead_id = leads.lead_id
    left join latest_enrichment
        on
            snapshots.lead_id = latest_enrichment.lead_id
            and snapshots.as_of_date = latest_enrichment.as_of_date
    left join competitor_domains
        on
            snapshots.account_domain = competitor_domains.account_domain
            and competitor_domains.first_flagged_at < cast(snapshots.as_of_date as {{ dbt.type_timestamp() }})
),

final as (
    select
        lead_id,
        as_of_date,
        employee_count,
        case
            when employee_count is null then 'unknown'
            when employee_count <= 10 then '1-10'
            when employee_count <= 50 then '11-50'
            when employee_count <= 200 then '51-200'
            when employee_count <= 1000 then '201-1000'
            when employee_count <= 5000 then '1001-5000'
            else '5001+'
        end as employee_band,
        annual_revenue,
        case
            when annual_revenue is null then 'unknown'
            when annual_revenue < 1000000 then 'under 1M'
            when annual_revenue < 10000000 then '1M-10M'
            when annual_revenue < 100000000 then '10M-100M'
            when annual_revenue < 1000000000 then '100M-1B'
            else '1B+'
        end as revenue_band,
        coalesce(lower(industry), 'unknown') as industry,
        coalesce(lower(country), 'unknown') as country,
        seniority,
        department,
        coalesce(lower(lead_source), 'unknown') as lead_source,
        is_personal_email,
        has_company_domain,
        seniority = 'intern_student' as is_student,
        is_competitor_account,
        -- a double on every adapter (Spark divides by 5.0 in decimals)
        cast(
            (
                case when employee_count is not null then 1 else 0 end
                + case when annual_revenue is not null then 1 else 0 end
                + case when industry is not null then 1 else 0 end
                + case when tech_stack is not null then 1 else 0 end
                + case when founded_year is not null then 1 else 0 end
            ) / 5.0 as {{ type_double() }}
        ) as enrichment_coverage,
        cast(
            case
                when tech_stack is not null and trim(tech_stack) != ''
                    then {{ dbt.length('tech_stack') }} - {{ dbt.length(dbt.replace('tech_stack', "','", "''")) }} + 1
            end as {{ dbt.type_bigint() }}
        ) as tech_stack_size,
        cast(
            case
                when tech_stack is not null
                    then
                        {% if icp_technologies %}
                            {% for technology in icp_technologies %}
                                {% if not loop.first %}+{% endif %}
                                case
                                    when padded_tech_stack like {{ string_literal('%,' ~ technology | lower ~ ',%') }}
                                        then 1
                                    else 0
                                end
                            {% endfor %}
                        {% else %}
                            0
                        {% endif %}
            end as {{ dbt.type_bigint() }}
        ) as tech_stack_icp_matches,
        extract(year from as_of_date) - founded_year as company_age_years
    from combined
)

select * from final
