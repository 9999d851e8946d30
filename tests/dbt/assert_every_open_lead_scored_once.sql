{#-
    Every lead open at the as-of date appears exactly once in lead_scores, and no converted or closed
    (unqualified) lead appears at all. Returns the offending leads with what is wrong.
-#}

with

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

run_dates as (
    select * from {{ ref('int_run_dates') }}
),

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

open_leads as (
    select leads.lead_id
    from leads
    cross join run_dates
    where
        not coalesce(leads.is_converted, false)
        and coalesce(leads.lead_status, 'Open') not in {{ string_list(var('closed_lead_statuses')) }}
        and leads.created_at < cast(run_dates.scoring_as_of_date as {{ dbt.type_timestamp() }})
),

score_counts as (
    select
        lead_id,
        count(*) as score_rows
    from lead_scores
    group by 1
),

problems as (
    select
        coalesce(open_leads.lead_id, score_counts.lead_id) as lead_id,
        case
            when score_counts.lead_id is null then 'open lead not scored'
            when open_leads.lead_id is null then 'closed or converted lead scored'
            else 'scored more than once'
        end as problem
    from open_leads
    full outer join score_counts
        on open_leads.lead_id = score_counts.lead_id
    where
        score_counts.lead_id is null
        or open_leads.lead_id is null
        or score_counts.score_rows > 1
)

select * from problems
