{#-
    How sales judge the scores: per model version and band, the feedback verdicts and the share saying the score
    was too high, too low or correct. Feedback without a score at the time (ml_feedback_scored) is left out.
-#}

with

feedback_scored as (
    select * from {{ ref('ml_feedback_scored') }}
),

scored_feedback as (
    select * from feedback_scored
    where priority_band is not null
),

verdict_counts as (
    select
        model_version,
        priority_band,
        count(*) as feedback_count,
        sum(case when verdict = 'too_high' then 1 else 0 end) as too_high_count,
        sum(case when verdict = 'too_low' then 1 else 0 end) as too_low_count,
        sum(case when verdict = 'correct' then 1 else 0 end) as correct_count,
        min(created_at) as first_feedback_at,
        max(created_at) as last_feedback_at
    from scored_feedback
    group by 1, 2
),

final as (
    select
        model_version,
        priority_band,
        feedback_count,
        too_high_count,
        too_low_count,
        correct_count,
        {{ safe_divide('too_high_count', 'feedback_count') }} as too_high_rate,
        {{ safe_divide('too_low_count', 'feedback_count') }} as too_low_rate,
        {{ safe_divide('correct_count', 'feedback_count') }} as correct_rate,
        first_feedback_at,
        last_feedback_at
    from verdict_counts
)

select * from final
