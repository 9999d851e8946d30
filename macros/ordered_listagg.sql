{% macro ordered_listagg(measure, delimiter_text, sort_keys) %}
    {#-
        Text values joined with a delimiter in a fixed order: dbt.listagg with its order by clause, except on
        Spark and Databricks, where dbt.listagg ignores the ordering. sort_keys are expressions sorted ascending
        (negate a number to sort it descending); nulls in measure are skipped, as listagg skips them.
    -#}
    {{ return(adapter.dispatch('ordered_listagg', 'lead_scoring')(measure, delimiter_text, sort_keys)) }}
{% endmacro %}

{% macro default__ordered_listagg(measure, delimiter_text, sort_keys) %}
    {{- return(dbt.listagg(measure, delimiter_text, 'order by ' ~ sort_keys | join(', '))) -}}
{% endmacro %}

{% macro spark__ordered_listagg(measure, delimiter_text, sort_keys) %}
    {#- Structs sort field by field, so the sort keys come first and the measure last. -#}
    {%- set fields = [] -%}
    {%- for key in sort_keys -%}
        {%- do fields.append("'sort_key_" ~ loop.index ~ "', " ~ key) -%}
    {%- endfor -%}
    {%- do fields.append("'measure', " ~ measure) -%}
    {{- return(
        "array_join(transform(array_sort(collect_list(named_struct(" ~ fields | join(', ')
        ~ "))), entry -> entry.measure), " ~ delimiter_text ~ ")"
    ) -}}
{% endmacro %}
