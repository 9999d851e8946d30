{#-
    Leads sales flagged as mis-scored at least feedback_review_min_flags times (too_high or too_low): a review list
    for the next training run (check the label, the data, or whether the lead belongs in training), with the score
    the lead had when flagged and today's score if it is still open.
-#}

with

feedback_scored as (
    select * from {{ ref('ml_feedback_scored') }}
),

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

ranked_feedback as (
    select
        *,
        row_number() over (partition by lead_id order by created_at desc, feedback_id desc) as recency_rank
    from feedback_scored
),

lead_flags as (
    select
        lead_id,
        sum(case when verdict = 'too_high' then 1 else 0 end) as too_high_flags,
        sum(case when verdict = 'too_low' then 1 else 0 end) as too_low_flags,
        sum(case when verdict = 'correct' then 1 else 0 end) as correct_flags
    from feedback_scored
    group by 1
),

latest_feedback as (
    select * from ranked_feedback
    where recency_rank = 1
),

final as (
    select
        lead_flags.lead_id,
        lead_flags.too_high_flags,
        lead_flags.too_low_flags,
        lead_flags.correct_flags,
        latest_feedback.created_at as latest_feedback_at,
        latest_feedback.verdict as latest_verdict,
        latest_feedback.note as latest_note,
        latest_feedback.priority_band as band_when_flagged,
        latest_feedback.lead_score as score_when_flagged,
        latest_feedback.model_version as model_version_when_flagged,
        lead_scores.priority_band as current_band,
        lead_scores.lead_score as current_score,
        case
            when lead_flags.too_high_flags > lead_flags.too_low_flags
                then 'scored too high: check for a poor fit the features miss, or a lead to drop from training'
            when lead_flags.too_low_flags > lead_flags.too_high_flags
                then 'scored too low: check for buying signals the features miss'
            else 'conflicting verdicts: review the lead'
        end as review_reason
    from lead_flags
    inner join latest_feedback
        on lead_flags.lead_id = latest_feedback.lead_id
    left join lead_scores
        on lead_flags.lead_id = lead_scores.lead_id
    where lead_flags.too_high_flags + lead_flags.too_low_flags >= {{ positive_int_var('feedback_review_min_flags', 1) }}
)

select * from final
