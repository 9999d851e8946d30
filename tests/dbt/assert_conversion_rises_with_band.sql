{#-
    On the live model's untouched test split, the conversion rate rises from band D to band A: returns each band
    that converts less than the next lower band by more than chance allows, that is by more than 1.96 standard
    errors of the difference of two rates (pooled), as in ml_exploration_estimate. A thin test split (a few dozen
    conversions, short history) cannot order neighbouring bands strictly, and noise there must not fail the build;
    a real inversion on any amount of data still does.
-#}

with

test_predictions as (
    select * from {{ ref('ml_test_predictions') }}
),

score_bands as (
    select * from {{ ref('score_bands') }}
),

band_rates as (
    select
        test_predictions.priority_band,
        score_bands.min_score,
        count(*) as snapshots,
        avg(cast(test_predictions.label as {{ type_double() }})) as conversion_rate
    from test_predictions
    inner join score_bands
        on test_predictions.priority_band = score_bands.band
    group by 1, 2
),

ordered as (
    select
        *,
        lag(conversion_rate) over (order by min_score) as lower_band_rate,
        lag(snapshots) over (order by min_score) as lower_band_snapshots
    from band_rates
),

compared as (
    select
        *,
        (conversion_rate * snapshots + lower_band_rate * lower_band_snapshots)
        / (snapshots + lower_band_snapshots) as pooled_rate
    from ordered
    where lower_band_rate is not null
),

final as (
    select
        *,
        sqrt(pooled_rate * (1 - pooled_rate) * (1.0 / snapshots + 1.0 / lower_band_snapshots)) as standard_error
    from compared
)

select * from final
where lower_band_rate - conversion_rate > 1.96 * standard_error
