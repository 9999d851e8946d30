{#-
    Leads whose score jumped by at least var score_jump_alert_threshold points, or that moved up a band, in this
    build's scoring run compared with their previous history row.
-#}
{%- set jump_threshold = positive_int_var('score_jump_alert_threshold', 15) -%}

with

history as (
    select * from {{ ref('lead_score_history') }}
),

score_bands as (
    select * from {{ ref('score_bands') }}
),

ranked_history as (
    select
        *,
        row_number() over (partition by lead_id order by scored_at desc, scoring_run_id desc) as recency_rank
    from history
),

current_rows as (
    select * from ranked_history
    where
        recency_rank = 1
        and scoring_run_id = '{{ invocation_id }}'
),

previous_rows as (
    select * from ranked_history
    where recency_rank = 2
),

compared as (
    select
        current_rows.lead_id,
        current_rows.account_domain,
        current_rows.as_of_date,
        previous_rows.lead_score as previous_lead_score,
        current_rows.lead_score,
        current_rows.lead_score - previous_rows.lead_score as score_change,
        previous_rows.priority_band as previous_priority_band,
        current_rows.priority_band,
        current_bands.min_score > previous_bands.min_score as is_band_up,
        current_rows.reason_up_1,
        current_rows.model_version,
        current_rows.scored_at
    from current_rows
    inner join previous_rows
        on current_rows.lead_id = previous_rows.lead_id
    left join score_bands as current_bands
        on current_rows.priority_band = current_bands.band
    left join score_bands as previous_bands
        on previous_rows.priority_band = previous_bands.band
),

final as (
    select
        lead_id,
        account_domain,
        as_of_date,
        case
            when is_band_up then 'band_up'
            else 'score_jump'
        end as alert_type,
        previous_lead_score,
        lead_score,
        score_change,
        previous_priority_band,
        priority_band,
        reason_up_1,
        model_version,
        scored_at
    from compared
    where
        score_change >= {{ jump_threshold }}
        or coalesce(is_band_up, false)
)

select * from final
