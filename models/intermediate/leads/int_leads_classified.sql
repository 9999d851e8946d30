with

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

seniority_rules as (
    select * from {{ ref('title_seniority_rules') }}
),

department_rules as (
    select * from {{ ref('title_department_rules') }}
),

lead_titles as (
    select
        lead_id,
        {{ title_words('title') }} as title_words
    from leads
),

seniority_matches as (
    select
        lead_titles.lead_id,
        seniority_rules.seniority,
        row_number() over (
            partition by lead_titles.lead_id
            order by seniority_rules.priority, seniority_rules.seniority
        ) as match_rank
    from lead_titles
    inner join seniority_rules
        on lead_titles.title_words like {{ dbt.concat(["'% '", "seniority_rules.pattern", "' %'"]) }}
),

department_matches as (
    select
        lead_titles.lead_id,
        department_rules.department,
        row_number() over (
            partition by lead_titles.lead_id
            order by department_rules.priority, department_rules.department
        ) as match_rank
    from lead_titles
    inner join department_rules
        on lead_titles.title_words like {{ dbt.concat(["'% '", "department_rules.pattern", "' %'"]) }}
),

final as (
    select
        leads.*,
        coalesce(seniority_matches.seniority, 'unknown') as seniority,
        coalesce(department_matches.department, 'unknown') as department
    from leads
    left join seniority_matches
        on
            leads.lead_id = seniority_matches.lead_id
            and seniority_matches.match_rank = 1
    left join department_matches
        on
            leads.lead_id = department_matches.lead_id
            and department_matches.match_rank = 1
)

select * from final
