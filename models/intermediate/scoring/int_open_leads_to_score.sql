{#- Today's scoring rows: one per lead open at the run's as-of date, with every feature. -#}

with

lead_features as (
    select * from {{ ref('lead_features') }}
),

final as (
    select * from lead_features
    where is_scoring_row
)

select * from final
