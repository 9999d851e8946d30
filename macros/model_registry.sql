{% macro runs_python_models() %}
    {#-
        True when this target's adapter runs the package's dbt Python models (var python_model_adapters, whose
        default must match the one in dbt_project.yml, which enables the Python models by the same test).
    -#}
    {{ return(target.type in var('python_model_adapters', ['duckdb', 'databricks', 'snowflake', 'bigquery'])) }}
{% endmacro %}


{% macro model_registry() %}
    {#-
        The registry the champion is read from (var model_registry): built, the ml_model_registry Python model of
        this build; imported, the registry a training target exported (source imported_models, schema var
        imported_models_schema), for engines that cannot train; auto (default), built where Python models run.
    -#}
    {%- set choice = var('model_registry', 'auto') -%}
    {%- if choice == 'auto' -%}
        {%- set choice = 'built' if runs_python_models() else 'imported' -%}
    {%- endif -%}
    {%- if choice == 'built' -%}
        {{ return(ref('ml_model_registry')) }}
    {%- elif choice == 'imported' -%}
        {{ return(source('imported_models', 'ml_model_registry')) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var model_registry must be auto, built or imported, got '" ~ choice ~ "'") }}
{% endmacro %}
