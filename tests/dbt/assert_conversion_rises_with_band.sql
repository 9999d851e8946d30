{#-
    On the live model's untouched test split, the conversion rate rises strictly from band D to band A.
    Returns each band whose rate is not above the next lower band's.
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
        lag(conversion_rate) over (order by min_score) as lower_band_rate
    from band_rates
)

select * from ordered
where conversion_rate <= lower_band_rate
