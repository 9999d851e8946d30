{#-
    Lead activity summed over each snapshot's look-back windows, plus the recency, velocity, decay and sequence
    measures. One join of the spine to the daily activity serves the behavioural and the temporal marts.
    Only activity known before the snapshot date counts.

    The join makes about a dozen rows per snapshot (tens of millions at scale), so it runs on integer keys: a
    number per lead and per snapshot. Joining and grouping them is several times faster than on the text lead_id
    and the (lead_id, as_of_date) pair, with the same result.
-#}
{%- set windows = activity_windows() -%}
{%- set velocity_days = positive_int_var('velocity_window_days', 14) -%}
{%- set sequence_days = windows | max -%}

with

spine as (
    select
        lead_id,
        as_of_date
    from {{ ref('int_lead_snapshots') }}
),

daily_activity as (
    select * from {{ ref('int_lead_activity_daily') }}
),

lead_numbers as (
    select
        lead_id,
        row_number() over (order by lead_id) as lead_number
    from spine
    group by 1
),

snapshots as (
    select
        spine.lead_id,
        spine.as_of_date,
        lead_numbers.lead_number,
        row_number() over (order by spine.lead_id, spine.as_of_date) as snapshot_number
    from spine
    inner join lead_numbers
        on spine.lead_id = lead_numbers.lead_id
),

numbered_daily_activity as (
    select
        lead_numbers.lead_number,
        daily_activity.activity_date,
        daily_activity.known_date,
        daily_activity.engagement_events,
        {% for measure in activity_measures() -%}
            daily_activity.{{ measure.name }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from daily_activity
    inner join lead_numbers
        on daily_activity.lead_id = lead_numbers.lead_id
),

snapshot_activity as (
    select
        snapshots.snapshot_number,
        numbered_daily_activity.activity_date,
        numbered_daily_activity.engagement_events,
        {% for measure in activity_measures() -%}
            numbered_daily_activity.{{ measure.name }},
        {% endfor -%}
        {{ days_between('numbered_daily_activity.activity_date', 'snapshots.as_of_date') }}
            as age_days
    from snapshots
    inner join numbered_daily_activity
        on
            snapshots.lead_number = numbered_daily_activity.lead_number
            and snapshots.as_of_date > numbered_daily_activity.known_date
),

windowed as (
    select
        snapshot_number,
        {% for measure in activity_measures() -%}
            {% for window_days in windows -%}
                sum(case when age_days <= {{ window_days }} then {{ measure.name }} else 0 end)
                    as {{ measure.name }}_{{ window_days }}d,
            {% endfor -%}
        {% endfor -%}
        sum(case when engagement_events > 0 and age_days <= 30 then 1 else 0 end) as active_days_30d,
        sum(case when age_days <= {{ velocity_days }} then engagement_events else 0 end) as engagement_events_recent,
        sum(
            case
                when age_days > {{ velocity_days }} and age_days <= {{ 2 * velocity_days }}
                    then engagement_events
                else 0
            end
        ) as engagement_events_prior,
        -- rounded so the parallel float sum gives the same value on every rebuild
        round(sum(engagement_events * {{ decay_weight('age_days') }}), 9) as decayed_engagement_score,
        min(case when engagement_events > 0 then age_days end) as days_since_last_engagement,
        max(case when engagement_events > 0 then age_days end) as days_since_first_engagement,
        min(case when sales_touches > 0 then age_days end) as days_since_last_sales_touch,
        max(case when case_study_page_views > 0 and age_days <= {{ sequence_days }} then age_days end)
            as days_since_first_case_study,
        min(case when pricing_page_views > 0 and age_days <= {{ sequence_days }} then age_days end)
            as days_since_last_pricing_view,
        max(case when docs_page_views > 0 and age_days <= {{ sequence_days }} then age_days end)
            as days_since_first_docs_view,
        min(case when demo_requests > 0 and age_days <= {{ sequence_days }} then age_days end)
            as days_since_last_demo_request
    from snapshot_activity
    group by 1
),

final as (
    select
        snapshots.lead_id,
        snapshots.as_of_date,
        {% for feature_name in behavioral_feature_names() -%}
            windowed.{{ feature_name }},
        {% endfor -%}
        windowed.active_days_30d,
        windowed.engagement_events_recent,
        windowed.engagement_events_prior,
        windowed.decayed_engagement_score,
        windowed.days_since_last_engagement,
        windowed.days_since_first_engagement,
        windowed.days_since_last_sales_touch,
        windowed.days_since_first_case_study,
        windowed.days_since_last_pricing_view,
        windowed.days_since_first_docs_view,
        windowed.days_since_last_demo_request
    from snapshots
    inner join windowed
        on snapshots.snapshot_number = windowed.snapshot_number
)

select * from final
