{#-
    Calibration and band rates of the live model across regions (country mapped by var fairness_regions) and
    company-size segments (employee_band), on every matured backtest snapshot (worked or not). A segment with
    at least fairness_min_snapshots snapshots is judged: it diverges when its observed conversions differ from
    the expected (summed probabilities) by more than fairness_max_calibration_gap, relatively.
-#}
{%- set regions = var('fairness_regions', {}) -%}

with

snapshot_scores as (
    select * from {{ ref('ml_snapshot_scores') }}
),

score_bands as (
    select * from {{ ref('score_bands') }}
),

highest_band as (
    select max(min_score) as min_score
    from score_bands
),

top_band as (
    select score_bands.band as top_band
    from score_bands
    inner join highest_band
        on score_bands.min_score = highest_band.min_score
),

champion_scores as (
    select
        snapshot_scores.*,
        case
            {%- for region, countries in regions.items() %}
                when snapshot_scores.country in {{ string_list(countries) }} then '{{ region }}'
            {%- endfor %}
            when snapshot_scores.country is null or snapshot_scores.country = 'unknown' then 'unknown'
            else 'other'
        end as region,
        coalesce(snapshot_scores.employee_band, 'unknown') as company_size,
        top_band.top_band
    from snapshot_scores
    cross join top_band
    where
        snapshot_scores.is_champion
        and snapshot_scores.label is not null
),

segmented as (
    select
        model_version,
        'all' as segment_type,
        'all' as segment,
        label,
        probability,
        priority_band,
        top_band
    from champion_scores
    union all
    select
        model_version,
        'region' as segment_type,
        region as segment,
        label,
        probability,
        priority_band,
        top_band
    from champion_scores
    union all
    select
        model_version,
        'company_size' as segment_type,
        company_size as segment,
        label,
        probability,
        priority_band,
        top_band
    from champion_scores
),

segment_totals as (
    select
        model_version,
        segment_type,
        segment,
        count(*) as snapshots,
        sum(label) as conversions,
        sum(probability) as expected_conversions,
        avg(cast(label as {{ type_double() }})) as observed_rate,
        avg(probability) as mean_probability,
        avg(case when priority_band = top_band then 1.0 else 0.0 end) as top_band_share,
        sum(case when priority_band = top_band then label else 0 end) as top_band_conversions,
        sum(case when priority_band = top_band then 1 else 0 end) as top_band_snapshots
    from segmented
    group by 1, 2, 3
),

final as (
    select
        model_version,
        segment_type,
        segment,
        snapshots,
        conversions,
        expected_conversions,
        observed_rate,
        mean_probability,
        {{ safe_divide('conversions', 'expected_conversions') }} as observed_to_expected,
        {{ safe_divide('conversions', 'expected_conversions') }} - 1 as calibration_gap,
        top_band_share,
        {{ safe_divide('top_band_conversions', 'top_band_snapshots') }} as top_band_conversion_rate,
        snapshots >= {{ positive_int_var('fairness_min_snapshots', 500) }} as is_judged,
        coalesce(
            snapshots >= {{ positive_int_var('fairness_min_snapshots', 500) }}
            and abs({{ safe_divide('conversions', 'expected_conversions') }} - 1)
            > {{ var('fairness_max_calibration_gap', 0.5) }},
            false
        ) as is_divergent
    from segment_totals
)

select * from final
