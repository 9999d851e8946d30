{#-
    Today's drift of every feature against the live model's training distribution: PSI, the missing-rate
    change, and whether the feature is one of the model's monitoring_important_features most important inputs.
    A large shift (PSI above monitoring_psi_threshold) on an important feature is an alert (ml_monitoring_alerts).
-#}

with

drift_over_time as (
    select * from {{ ref('ml_feature_drift_over_time') }}
),

feature_importance as (
    select * from {{ ref('ml_feature_importance') }}
),

feature_catalog as (
    select * from {{ ref('feature_catalog') }}
),

todays_drift as (
    select * from drift_over_time
    where population = 'scoring'
),

final as (
    select
        todays_drift.model_version,
        todays_drift.feature_name,
        feature_catalog.family,
        todays_drift.feature_kind,
        coalesce(feature_catalog.is_protected, false) as is_protected,
        feature_importance.importance_rank,
        coalesce(
            feature_importance.importance_rank <= {{ positive_int_var('monitoring_important_features', 10) }},
            false
        ) as is_important,
        todays_drift.period_date as scoring_as_of_date,
        todays_drift.training_rows,
        todays_drift.compared_rows as scoring_rows,
        todays_drift.psi,
        case
            when todays_drift.psi is null then 'unknown'
            when todays_drift.psi < 0.1 then 'stable'
            when todays_drift.psi <= {{ var('monitoring_psi_threshold', 0.25) }} then 'moderate'
            else 'large'
        end as drift_level,
        todays_drift.training_missing_rate,
        todays_drift.compared_missing_rate as scoring_missing_rate,
        todays_drift.compared_missing_rate - todays_drift.training_missing_rate as missing_rate_change
    from todays_drift
    left join feature_importance
        on
            todays_drift.model_version = feature_importance.model_version
            and todays_drift.feature_name = feature_importance.feature_name
    left join feature_catalog
        on todays_drift.feature_name = feature_catalog.feature_name
)

select * from final
