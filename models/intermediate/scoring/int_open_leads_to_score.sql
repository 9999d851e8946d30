{#- Today's scoring rows: one per lead open at the run's as-of date, with every feature and custom field. -#}

with

model_inputs as (
    select * from {{ ref('lead_features_with_custom_fields') }}
),

final as (
    select * from model_inputs
    where is_scoring_row
)

select * from final
