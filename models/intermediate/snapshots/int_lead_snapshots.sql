{#-
    The lead-snapshot spine with labels. Training snapshots sit on a grid every snapshot_interval_days
    (anchored on Monday 2000-01-03) while the lead is open (created before the date, not closed before it:
    int_lead_closed_dates) and younger than max_snapshot_age_days; every lead open at the run's as-of date gets
    one scoring row. So the snapshots of one date are the leads open then, drawn as scoring draws today's rows,
    and no row is kept or dropped for what happened after its date. A snapshot sees only what was known before
    its date.
-#}
{%- set interval_days = positive_int_var('snapshot_interval_days', 7) -%}
{%- set max_age_days = positive_int_var('max_snapshot_age_days', 182) -%}
{%- set horizon_days = positive_int_var('horizon_days', 90) -%}
{%- set max_snapshots = (max_age_days // interval_days) + 2 -%}

with

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

run_dates as (
    select * from {{ ref('int_run_dates') }}
),

closed_dates as (
    select * from {{ ref('int_lead_closed_dates') }}
),

tasks as (
    select * from {{ ref('stg_salesforce__tasks') }}
),

snapshot_offsets as (
    {{ dbt.generate_series(max_snapshots) }}
),

first_sales_touches as (
    select
        who_id as lead_id,
        min(created_at) as first_sales_touch_at
    from tasks
    where who_id is not null
    group by 1
),

lead_windows as (
    select
        leads.lead_id,
        leads.company_domain as account_domain,
        leads.created_at,
        leads.converted_date,
        coalesce(leads.is_converted, false) as is_converted,
        run_dates.scoring_as_of_date,
        {{ date_add_days(
            "cast('2000-01-03' as date)",
            "cast(floor(" ~ days_between("cast('2000-01-03' as date)", "cast(leads.created_at as date)")
            ~ " / " ~ interval_days ~ ".0) as " ~ dbt.type_int() ~ ") * " ~ interval_days ~ " + " ~ interval_days
        ) }} as first_snapshot_date,
        closed_dates.closed_date,
        first_sales_touches.first_sales_touch_at,
        not closed_dates.is_closed as is_open_now
    from leads
    cross join run_dates
    inner join closed_dates
        on leads.lead_id = closed_dates.lead_id
    left join first_sales_touches
        on leads.lead_id = first_sales_touches.lead_id
    where leads.created_at is not null
),

training_snapshots as (
    select
        lead_windows.lead_id,
        {{ date_add_days(
            'lead_windows.first_snapshot_date',
            '(snapshot_offsets.generated_number - 1) * ' ~ interval_days
        ) }} as as_of_date,
        false as is_scoring_row
    from lead_windows
    cross join snapshot_offsets
    -- a converted lead with no conversion date cannot be placed in time, so it gives no training rows
    where not (lead_windows.is_converted and lead_windows.converted_date is null)
),

valid_training_snapshots as (
    select training_snapshots.*
    from training_snapshots
    inner join lead_windows
        on training_snapshots.lead_id = lead_windows.lead_id
    where
        training_snapshots.as_of_date < lead_windows.scoring_as_of_date
        and {{ days_between('cast(lead_windows.created_at as date)', 'training_snapshots.as_of_date') }}
        <= {{ max_age_days }}
        and (lead_windows.closed_date is null or lead_windows.closed_date >= training_snapshots.as_of_date)
),

scoring_snapshots as (
    select
        lead_id,
        scoring_as_of_date as as_of_date,
        true as is_scoring_row
    from lead_windows
    where
        is_open_now
        and created_at < cast(scoring_as_of_date as {{ dbt.type_timestamp() }})
),

all_snapshots as (
    select * from valid_training_snapshots
    union all
    select * from scoring_snapshots
),

final as (
    select
        all_snapshots.lead_id,
        all_snapshots.as_of_date,
        lead_windows.account_domain,
        all_snapshots.is_scoring_row,
        {{ date_add_days('all_snapshots.as_of_date', horizon_days) }}
        <= lead_windows.scoring_as_of_date as is_label_mature,
        cast(
            case
                when {{ date_add_days('all_snapshots.as_of_date', horizon_days) }} <= lead_windows.scoring_as_of_date
                    then
                        case
                            when
                                lead_windows.converted_date >= all_snapshots.as_of_date
                                and lead_windows.converted_date
                                < {{ date_add_days('all_snapshots.as_of_date', horizon_days) }}
                                then 1
                            else 0
                        end
            end as {{ dbt.type_int() }}
        ) as label,
        (
            lead_windows.first_sales_touch_at is null
            or lead_windows.first_sales_touch_at >= cast(all_snapshots.as_of_date as {{ dbt.type_timestamp() }})
        ) as is_never_worked
    from all_snapshots
    inner join lead_windows
        on all_snapshots.lead_id = lead_windows.lead_id
)

select * from final
