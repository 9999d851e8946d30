{#- On engines without dbt Python models: ml_model_category_levels as trained and exported by a target that has them. -#}
select * from {{ source('imported_models', 'ml_model_category_levels') }}
