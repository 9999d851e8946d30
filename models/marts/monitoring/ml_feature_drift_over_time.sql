{#-
    Population stability index of every feature, training distribution against each compared population:
    today's scoring rows and every weekly snapshot date of the last monitoring_history_weeks weeks.
    PSI = sum over bins of (compared share - training share) * ln(compared share / training share), shares
    floored at 0.0001 so a bin empty on one side gives a large but finite term.
-#}

with

bin_counts as (
    select * from {{ ref('ml_feature_bin_counts') }}
),

training_bins as (
    select
        model_version,
        feature_name,
        bin_index,
        row_count
    from bin_counts
    where population = 'training'
),

compared_bins as (
    select
        model_version,
        feature_name,
        feature_kind,
        population,
        period_date,
        bin_index,
        row_count
    from bin_counts
    where population != 'training'
),

compared_periods as (
    select distinct
        model_version,
        feature_name,
        feature_kind,
        population,
        period_date
    from compared_bins
),

training_by_period as (
    select
        compared_periods.model_version,
        compared_periods.feature_name,
        compared_periods.feature_kind,
        compared_periods.population,
        compared_periods.period_date,
        training_bins.bin_index,
        training_bins.row_count
    from compared_periods
    inner join training_bins
        on
            compared_periods.model_version = training_bins.model_version
            and compared_periods.feature_name = training_bins.feature_name
),

paired_bins as (
    select
        coalesce(training_by_period.model_version, compared_bins.model_version) as model_version,
        coalesce(training_by_period.feature_name, compared_bins.feature_name) as feature_name,
        coalesce(training_by_period.feature_kind, compared_bins.feature_kind) as feature_kind,
        coalesce(training_by_period.population, compared_bins.population) as population,
        coalesce(training_by_period.period_date, compared_bins.period_date) as period_date,
        coalesce(training_by_period.bin_index, compared_bins.bin_index) as bin_index,
        coalesce(training_by_period.row_count, 0) as training_count,
        coalesce(compared_bins.row_count, 0) as compared_count
    from training_by_period
    full outer join compared_bins
        on
            training_by_period.model_version = compared_bins.model_version
            and training_by_period.feature_name = compared_bins.feature_name
            and training_by_period.population = compared_bins.population
            and training_by_period.period_date = compared_bins.period_date
            and training_by_period.bin_index = compared_bins.bin_index
),

period_totals as (
    select
        model_version,
        feature_name,
        population,
        period_date,
        sum(training_count) as training_rows,
        sum(compared_count) as compared_rows,
        sum(case when bin_index = 0 then training_count else 0 end) as training_missing,
        sum(case when bin_index = 0 then compared_count else 0 end) as compared_missing
    from paired_bins
    group by 1, 2, 3, 4
),

bin_shares as (
    select
        paired_bins.model_version,
        paired_bins.feature_name,
        paired_bins.feature_kind,
        paired_bins.population,
        paired_bins.period_date,
        greatest({{ safe_divide('paired_bins.training_count', 'period_totals.training_rows') }}, 0.0001)
            as training_share,
        greatest({{ safe_divide('paired_bins.compared_count', 'period_totals.compared_rows') }}, 0.0001)
            as compared_share
    from paired_bins
    inner join period_totals
        on
            paired_bins.model_version = period_totals.model_version
            and paired_bins.feature_name = period_totals.feature_name
            and paired_bins.population = period_totals.population
            and paired_bins.period_date = period_totals.period_date
),

stability as (
    select
        model_version,
        feature_name,
        feature_kind,
        population,
        period_date,
        count(*) as compared_bins,
        sum((compared_share - training_share) * ln(compared_share / training_share)) as psi
    from bin_shares
    group by 1, 2, 3, 4, 5
),

final as (
    select
        stability.model_version,
        stability.feature_name,
        stability.feature_kind,
        stability.population,
        stability.period_date,
        stability.compared_bins,
        period_totals.training_rows,
        period_totals.compared_rows,
        {{ safe_divide('period_totals.training_missing', 'period_totals.training_rows') }} as training_missing_rate,
        {{ safe_divide('period_totals.compared_missing', 'period_totals.compared_rows') }} as compared_missing_rate,
        case when period_totals.training_rows > 0 then stability.psi end as psi
    from stability
    inner join period_totals
        on
            stability.model_version = period_totals.model_version
            and stability.feature_name = period_totals.feature_name
            and stability.population = period_totals.population
            and stability.period_date = period_totals.period_date
)

select * from final
