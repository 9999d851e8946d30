{#-
    The true conversion rate of each low band, estimated from explored snapshots (ml_exploration_draws) whose
    label has matured, next to the naive rate of all worked snapshots in the band. Among explored snapshots the
    rate of the worked ones is unbiased only when (nearly) all explored leads were worked, i.e. the follow-up
    policy was honoured: coverage must reach exploration_min_coverage. lower_bound_rate counts unworked explored
    snapshots as not converted. The interval is Wilson's 95% score interval.
-#}

with

exploration_draws as (
    select * from {{ ref('ml_exploration_draws') }}
),

matured_draws as (
    select * from exploration_draws
    where
        population = 'backtest'
        and label is not null
),

band_counts as (
    select
        model_version,
        priority_band,
        count(*) as band_snapshots,
        sum(case when not is_never_worked then 1 else 0 end) as band_worked_snapshots,
        sum(case when not is_never_worked then label else 0 end) as band_worked_conversions,
        sum(case when is_explored then 1 else 0 end) as explored_snapshots,
        sum(case when is_explored and not is_never_worked then 1 else 0 end) as explored_worked_snapshots,
        sum(case when is_explored and not is_never_worked then label else 0 end) as explored_conversions,
        avg(case when is_explored then probability end) as explored_mean_probability
    from matured_draws
    group by 1, 2
),

rates as (
    select
        *,
        {{ safe_divide('explored_worked_snapshots', 'explored_snapshots') }} as coverage,
        {{ safe_divide('explored_conversions', 'explored_worked_snapshots') }} as explored_rate,
        {{ safe_divide('explored_conversions', 'explored_snapshots') }} as lower_bound_rate,
        {{ safe_divide('band_worked_conversions', 'band_worked_snapshots') }} as naive_worked_rate
    from band_counts
),

intervals as (
    select
        *,
        (explored_rate + 1.9208 / nullif(explored_worked_snapshots, 0))
        / (1 + 3.8416 / nullif(explored_worked_snapshots, 0)) as wilson_center,
        1.96 * sqrt(
            explored_rate * (1 - explored_rate) / nullif(explored_worked_snapshots, 0)
            + 0.9604 / nullif(explored_worked_snapshots * explored_worked_snapshots, 0)
        ) / (1 + 3.8416 / nullif(explored_worked_snapshots, 0)) as wilson_half_width
    from rates
),

final as (
    select
        model_version,
        priority_band,
        band_snapshots,
        band_worked_snapshots,
        naive_worked_rate,
        explored_snapshots,
        explored_worked_snapshots,
        coverage,
        explored_conversions,
        explored_rate,
        wilson_center - wilson_half_width as explored_rate_low,
        wilson_center + wilson_half_width as explored_rate_high,
        lower_bound_rate,
        explored_mean_probability,
        coalesce(coverage >= {{ var('exploration_min_coverage', 0.95) }}, false) as is_unbiased
    from intervals
)

select * from final
