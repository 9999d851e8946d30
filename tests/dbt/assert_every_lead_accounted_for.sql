{#-
    No lead silently disappears. Every raw lead row is either the kept row of its lead in stg_salesforce__leads or
    listed in stg_salesforce__leads_rejected with a reason, and every lead ends in exactly one outcome: scored,
    closed or converted, created after the as-of date, or rejected with a reason. So
    leads in = leads scored + leads closed or converted + leads created later + leads rejected.
    Returns each lead (or row count) that does not add up, with what is wrong.
-#}

with

raw_leads as (
    {{ contract_source('salesforce', 'lead') }}
),

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

rejected as (
    select * from {{ ref('stg_salesforce__leads_rejected') }}
),

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

run_dates as (
    select * from {{ ref('int_run_dates') }}
),

row_ledger as (
    select
        (select count(*) from raw_leads) as raw_rows,
        (select count(*) from leads) as kept_rows,
        (select count(*) from rejected) as rejected_rows
),

kept_outcomes as (
    select
        leads.lead_id,
        case
            when
                leads.is_converted
                or coalesce(leads.lead_status, 'Open') in {{ string_list(var('closed_lead_statuses')) }}
                then 'closed_or_converted'
            when leads.created_at >= cast(run_dates.scoring_as_of_date as {{ dbt.type_timestamp() }})
                then 'created_after_as_of_date'
            else 'open'
        end as outcome
    from leads
    cross join run_dates
),

score_counts as (
    select
        lead_id,
        count(*) as score_rows
    from lead_scores
    group by 1
),

rejected_leads as (
    select distinct lead_id
    from rejected
    where
        is_latest_load
        and lead_id is not null
),

raw_lead_ids as (
    select distinct id as lead_id
    from raw_leads
    where nullif(trim(id), '') is not null
),

problems as (
    select
        'row ledger' as lead_id,
        'raw rows ' || cast(raw_rows as {{ dbt.type_string() }})
        || ' != kept ' || cast(kept_rows as {{ dbt.type_string() }})
        || ' + rejected ' || cast(rejected_rows as {{ dbt.type_string() }}) as problem
    from row_ledger
    where raw_rows != kept_rows + rejected_rows

    union all

    select
        kept_outcomes.lead_id,
        case
            when kept_outcomes.outcome = 'open' and score_counts.lead_id is null then 'open lead not scored'
            when kept_outcomes.outcome = 'open' then 'open lead scored more than once'
            else kept_outcomes.outcome || ' lead scored'
        end as problem
    from kept_outcomes
    left join score_counts
        on kept_outcomes.lead_id = score_counts.lead_id
    where
        (kept_outcomes.outcome = 'open' and coalesce(score_counts.score_rows, 0) != 1)
        or (kept_outcomes.outcome != 'open' and score_counts.lead_id is not null)

    union all

    select
        score_counts.lead_id,
        'scored lead not in stg_salesforce__leads' as problem
    from score_counts
    left join leads
        on score_counts.lead_id = leads.lead_id
    where leads.lead_id is null

    union all

    select
        raw_lead_ids.lead_id,
        case
            when leads.lead_id is null then 'lead neither kept nor rejected with a reason'
            else 'lead both kept and rejected'
        end as problem
    from raw_lead_ids
    left join leads
        on raw_lead_ids.lead_id = leads.lead_id
    left join rejected_leads
        on raw_lead_ids.lead_id = rejected_leads.lead_id
    where (leads.lead_id is null) = (rejected_leads.lead_id is null)
)

select * from problems
