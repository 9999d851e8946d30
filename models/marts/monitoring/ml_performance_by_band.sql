{#-
    Week by week and per compared model, each band's matured snapshots, conversions, conversion rate and lift
    (band rate over the week's rate), from the backtest scores of every lead open at each snapshot, worked or not,
    as in training and scoring.
-#}

with

snapshot_scores as (
    select * from {{ ref('ml_snapshot_scores') }}
),

score_bands as (
    select * from {{ ref('score_bands') }}
),

evaluable_scores as (
    select * from snapshot_scores
    where label is not null
),

week_totals as (
    select
        model_version,
        as_of_date as week_start,
        count(*) as week_snapshots,
        avg(cast(label as {{ type_double() }})) as week_conversion_rate
    from evaluable_scores
    group by 1, 2
),

band_totals as (
    select
        model_version,
        as_of_date as week_start,
        priority_band,
        model_split,
        count(*) as snapshots,
        sum(label) as conversions,
        avg(cast(label as {{ type_double() }})) as conversion_rate,
        avg(probability) as mean_probability
    from evaluable_scores
    group by 1, 2, 3, 4
),

final as (
    select
        band_totals.model_version,
        band_totals.week_start,
        band_totals.priority_band,
        score_bands.min_score as band_min_score,
        band_totals.model_split,
        band_totals.snapshots,
        band_totals.conversions,
        band_totals.conversion_rate,
        band_totals.mean_probability,
        week_totals.week_snapshots,
        week_totals.week_conversion_rate,
        {{ safe_divide('band_totals.snapshots', 'week_totals.week_snapshots') }} as band_share,
        {{ safe_divide('band_totals.conversion_rate', 'week_totals.week_conversion_rate') }} as lift
    from band_totals
    inner join week_totals
        on
            band_totals.model_version = week_totals.model_version
            and band_totals.week_start = week_totals.week_start
    left join score_bands
        on band_totals.priority_band = score_bands.band
)

select * from final
