{#- On engines without dbt Python models: ml_model_tree_nodes as trained and exported by a target that has them. -#}
select * from {{ source('imported_models', 'ml_model_tree_nodes') }}
