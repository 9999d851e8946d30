{#-
    The exploration draw of every low-band score: today's scores (population scoring) and the live model's
    backtest scores of past snapshots (population backtest). A score in var exploration_bands is explored when
    the first four hex digits of a hash of lead id and snapshot date fall below exploration_share of 16^4:
    deterministic (a rebuild draws the same leads), independent of the score within the band, and new each
    scoring date. Backtest draws are what the policy would have picked had it been running.
-#}
{%- set share = var('exploration_share', 0.05) | float -%}
{%- if share < 0 or share > 1 -%}
    {{ exceptions.raise_compiler_error("var exploration_share must be between 0 and 1, got " ~ share) }}
{%- endif -%}
{%- set draw_limit = (share * 65536) | round(0, 'floor') | int -%}
{%- set draw_expression = 'substr(' ~ dbt.hash(dbt.concat([
    'lead_id', "'|'", 'cast(as_of_date as ' ~ dbt.type_string() ~ ')'
])) ~ ', 1, 4)' -%}

with

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

snapshot_scores as (
    select * from {{ ref('ml_snapshot_scores') }}
),

low_band_scores as (
    select
        'scoring' as population,
        lead_id,
        as_of_date,
        model_version,
        priority_band,
        lead_score,
        conversion_probability as probability,
        cast(null as {{ dbt.type_int() }}) as label,
        cast(null as boolean) as is_never_worked
    from lead_scores
    where priority_band in {{ string_list(var('exploration_bands', ['C', 'D'])) }}

    union all

    select
        'backtest' as population,
        lead_id,
        cast(as_of_date as date) as as_of_date,
        model_version,
        priority_band,
        lead_score,
        probability,
        label,
        is_never_worked
    from snapshot_scores
    where
        is_champion
        and priority_band in {{ string_list(var('exploration_bands', ['C', 'D'])) }}
),

drawn as (
    select
        *,
        {{ draw_expression }} as exploration_draw
    from low_band_scores
),

final as (
    select
        population,
        lead_id,
        as_of_date,
        model_version,
        priority_band,
        lead_score,
        probability,
        label,
        is_never_worked,
        exploration_draw,
        {% if draw_limit >= 65536 -%}
            true
        {%- elif draw_limit <= 0 -%}
            false
        {%- else -%}
            exploration_draw < '{{ "%04x" | format(draw_limit) }}'
        {%- endif %} as is_explored
    from drawn
)

select * from final
