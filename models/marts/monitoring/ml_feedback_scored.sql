{#-
    Every sales feedback verdict with the score the lead had when the rep gave it: the latest logged score
    (lead_score_history) on or before the feedback date, else the live model's backtest score of the lead's
    latest snapshot on or before it (ml_snapshot_scores, the last monitoring_history_weeks weeks). Feedback with
    neither has no band.
-#}

with

feedback as (
    select * from {{ ref('stg_salesforce__lead_score_feedback') }}
),

score_history as (
    select * from {{ ref('lead_score_history') }}
),

snapshot_scores as (
    select * from {{ ref('ml_snapshot_scores') }}
),

logged_matches as (
    select
        feedback.feedback_id,
        score_history.lead_score,
        score_history.priority_band,
        score_history.model_version,
        score_history.as_of_date as scored_as_of_date,
        row_number() over (
            partition by feedback.feedback_id
            order by score_history.as_of_date desc, score_history.scored_at desc
        ) as recency_rank
    from feedback
    inner join score_history
        on
            feedback.lead_id = score_history.lead_id
            and score_history.as_of_date <= cast(feedback.created_at as date)
),

backtest_matches as (
    select
        feedback.feedback_id,
        snapshot_scores.lead_score,
        snapshot_scores.priority_band,
        snapshot_scores.model_version,
        cast(snapshot_scores.as_of_date as date) as scored_as_of_date,
        row_number() over (
            partition by feedback.feedback_id
            order by snapshot_scores.as_of_date desc
        ) as recency_rank
    from feedback
    inner join snapshot_scores
        on
            feedback.lead_id = snapshot_scores.lead_id
            and snapshot_scores.is_champion
            and cast(snapshot_scores.as_of_date as date) <= cast(feedback.created_at as date)
),

latest_logged as (
    select * from logged_matches
    where recency_rank = 1
),

latest_backtest as (
    select * from backtest_matches
    where recency_rank = 1
),

final as (
    select
        feedback.feedback_id,
        feedback.lead_id,
        feedback.created_at,
        feedback.verdict,
        feedback.note,
        case
            when latest_logged.feedback_id is not null then 'score_history'
            when latest_backtest.feedback_id is not null then 'backtest'
            else 'unscored'
        end as score_source,
        coalesce(latest_logged.model_version, latest_backtest.model_version) as model_version,
        coalesce(latest_logged.lead_score, latest_backtest.lead_score) as lead_score,
        coalesce(latest_logged.priority_band, latest_backtest.priority_band) as priority_band,
        coalesce(latest_logged.scored_as_of_date, latest_backtest.scored_as_of_date) as scored_as_of_date
    from feedback
    left join latest_logged
        on feedback.feedback_id = latest_logged.feedback_id
    left join latest_backtest
        on feedback.feedback_id = latest_backtest.feedback_id
)

select * from final
