{#-
    One row per monitoring check of this build, judged against its var: drift on an important feature, score
    drift, calibration on the newest matured weeks, band A converting below band B, an empty scoring run, a
    collapsed score distribution and fairness divergence. The warn tests read this table, and the next build's
    ml_model_registry reads it straight from the warehouse: a breached check listed in drift_retrain_checks
    makes that build retrain (when labels matured since the last training run).
-#}
{%- set psi_threshold = var('monitoring_psi_threshold', 0.25) -%}
{%- set retrain_checks = var('drift_retrain_checks', []) if var('drift_retrain', true) else [] -%}
{%- set min_band_snapshots = positive_int_var('monitoring_min_band_snapshots', 100) -%}

with

champion as (
    select * from {{ ref('ml_champion_model') }}
),

live_model as (
    select max(model_version) as model_version
    from champion
),

run_dates as (
    select * from {{ ref('int_run_dates') }}
),

feature_drift as (
    select * from {{ ref('ml_feature_drift') }}
),

score_drift as (
    select * from {{ ref('ml_score_drift') }}
),

recent_performance as (
    select * from {{ ref('ml_recent_performance') }}
),

performance_by_band as (
    select * from {{ ref('ml_performance_by_band') }}
),

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

fairness as (
    select * from {{ ref('ml_fairness_by_segment') }}
),

score_bands as (
    select * from {{ ref('score_bands') }}
),

drifted_features as (
    select
        feature_name,
        psi
    from feature_drift
    where
        is_important
        and psi > {{ psi_threshold }}
),

drifted_feature_list as (
    select
        {{ ordered_listagg(
            dbt.concat(['feature_name', "' '", 'cast(round(psi, 2) as ' ~ dbt.type_string() ~ ')']),
            "', '",
            ['-psi']
        ) }} as detail
    from drifted_features
),

important_feature_drift as (
    select max(psi) as observed_value
    from feature_drift
    where is_important
),

feature_psi_check as (
    select
        'feature_psi' as check_name,
        important_feature_drift.observed_value,
        {{ psi_threshold }} as threshold,
        drifted_feature_list.detail
    from important_feature_drift
    cross join drifted_feature_list
),

score_psi_check as (
    select
        'score_psi' as check_name,
        max(psi) as observed_value,
        {{ psi_threshold }} as threshold,
        cast(null as {{ dbt.type_string() }}) as detail
    from score_drift
),

calibration_check as (
    select
        'calibration_error' as check_name,
        max(recent_performance.expected_calibration_error) as observed_value,
        {{ var('monitoring_max_calibration_error', 0.02) }} as threshold,
        cast(null as {{ dbt.type_string() }}) as detail
    from recent_performance
    inner join champion
        on recent_performance.model_version = champion.model_version
),

ranked_bands as (
    select
        band,
        row_number() over (order by min_score desc) as band_rank
    from score_bands
),

recent_band_rates as (
    select
        ranked_bands.band_rank,
        sum(performance_by_band.snapshots) as snapshots,
        {{ safe_divide('sum(performance_by_band.conversions)', 'sum(performance_by_band.snapshots)') }}
            as conversion_rate
    from performance_by_band
    inner join champion
        on performance_by_band.model_version = champion.model_version
    inner join recent_performance
        on
            performance_by_band.model_version = recent_performance.model_version
            and performance_by_band.week_start >= recent_performance.period_start
            and performance_by_band.week_start <= recent_performance.period_end
    inner join ranked_bands
        on performance_by_band.priority_band = ranked_bands.band
    where ranked_bands.band_rank <= 2
    group by 1
),

band_order_check as (
    select
        'band_a_below_band_b' as check_name,
        case
            when min(snapshots) >= {{ min_band_snapshots }} and count(*) = 2
                then
                    max(case when band_rank = 1 then conversion_rate end)
                    - max(case when band_rank = 2 then conversion_rate end)
        end as observed_value,
        0 as threshold,
        cast(null as {{ dbt.type_string() }}) as detail
    from recent_band_rates
),

empty_run_check as (
    select
        'empty_scoring_run' as check_name,
        count(*) as observed_value,
        0 as threshold,
        cast(null as {{ dbt.type_string() }}) as detail
    from lead_scores
),

score_deciles as (
    select
        least(cast(floor((lead_score - 1) / 10.0) as {{ dbt.type_int() }}), 9) as score_decile,
        count(*) as leads
    from lead_scores
    group by 1
),

collapse_check as (
    select
        'score_distribution_collapsed' as check_name,
        {{ safe_divide('max(leads)', 'sum(leads)') }} as observed_value,
        {{ var('monitoring_collapsed_score_share', 0.5) }} as threshold,
        cast(null as {{ dbt.type_string() }}) as detail
    from score_deciles
),

judged_segments as (
    select
        segment_type,
        segment,
        calibration_gap,
        is_divergent
    from fairness
    where
        is_judged
        and segment_type != 'all'
),

divergent_segment_list as (
    select
        {{ ordered_listagg(
            dbt.concat([
                'segment_type', "' '", 'segment', "' '",
                'cast(round(calibration_gap, 2) as ' ~ dbt.type_string() ~ ')',
            ]),
            "', '",
            ['segment_type', 'segment']
        ) }} as detail
    from judged_segments
    where is_divergent
),

largest_segment_gap as (
    select max(abs(calibration_gap)) as observed_value
    from judged_segments
),

fairness_check as (
    select
        'fairness_calibration_gap' as check_name,
        largest_segment_gap.observed_value,
        {{ var('fairness_max_calibration_gap', 0.5) }} as threshold,
        divergent_segment_list.detail
    from largest_segment_gap
    cross join divergent_segment_list
),

checks as (
    select
        check_name,
        cast(observed_value as {{ type_double() }}) as observed_value,
        cast(threshold as {{ type_double() }}) as threshold,
        coalesce(observed_value > threshold, false) as is_breached,
        detail
    from feature_psi_check
    union all
    select
        check_name,
        cast(observed_value as {{ type_double() }}) as observed_value,
        cast(threshold as {{ type_double() }}) as threshold,
        coalesce(observed_value > threshold, false) as is_breached,
        detail
    from score_psi_check
    union all
    select
        check_name,
        cast(observed_value as {{ type_double() }}) as observed_value,
        cast(threshold as {{ type_double() }}) as threshold,
        coalesce(observed_value > threshold, false) as is_breached,
        detail
    from calibration_check
    union all
    select
        check_name,
        cast(observed_value as {{ type_double() }}) as observed_value,
        cast(threshold as {{ type_double() }}) as threshold,
        coalesce(observed_value < threshold, false) as is_breached,
        detail
    from band_order_check
    union all
    select
        check_name,
        cast(observed_value as {{ type_double() }}) as observed_value,
        cast(threshold as {{ type_double() }}) as threshold,
        observed_value = threshold as is_breached,
        detail
    from empty_run_check
    union all
    select
        check_name,
        cast(observed_value as {{ type_double() }}) as observed_value,
        cast(threshold as {{ type_double() }}) as threshold,
        coalesce(observed_value > threshold, false) as is_breached,
        detail
    from collapse_check
    union all
    select
        check_name,
        cast(observed_value as {{ type_double() }}) as observed_value,
        cast(threshold as {{ type_double() }}) as threshold,
        coalesce(observed_value > threshold, false) as is_breached,
        detail
    from fairness_check
),

final as (
    select
        checks.check_name,
        live_model.model_version,
        run_dates.scoring_as_of_date,
        checks.observed_value,
        checks.threshold,
        checks.is_breached,
        coalesce(checks.check_name in {{ string_list(retrain_checks) }}, false) as triggers_retrain,
        coalesce(
            checks.detail,
            case
                when checks.observed_value is null then 'not enough data to judge'
                else {{ dbt.concat([
                    "'observed '", 'cast(round(checks.observed_value, 4) as ' ~ dbt.type_string() ~ ')',
                    "', threshold '", 'cast(checks.threshold as ' ~ dbt.type_string() ~ ')',
                ]) }}
            end
        ) as detail,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as checked_at
    from checks
    cross join run_dates
    cross join live_model
)

select * from final
