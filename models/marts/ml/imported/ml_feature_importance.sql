{#- On engines without dbt Python models: ml_feature_importance as trained and exported by a target that has them. -#}
select * from {{ source('imported_models', 'ml_feature_importance') }}
