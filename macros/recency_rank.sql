{% macro recency_rank(source_name, table_name, partition_by='id') %}
    {#-
        Row number of a raw row among the rows sharing its key, newest load first (1 = keep).
        Used on the contract_source relation, where connectors repeat a key when a row is re-synced.
        Ties on _loaded_at (or no _fivetran_synced at all) are broken by a hash of the row's contract
        values, so the kept row never depends on scan order.
    -#}
    row_number() over ({{ recency_window(source_name, table_name, partition_by) }})
{%- endmacro %}


{% macro recency_window(source_name, table_name, partition_by='id') %}
    {#- The window of recency_rank: rows sharing a key, newest load first, ties broken by a content hash. -#}
    {%- set node = contract_source_node(source_name, table_name) -%}
    {%- set values = [] -%}
    {%- for column_name in node.columns -%}
        {%- if not loop.first -%}{%- do values.append("'|'") -%}{%- endif -%}
        {%- do values.append(
            "coalesce(cast(" ~ adapter.quote(column_name) ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    partition by {{ partition_by }}
    order by _loaded_at desc nulls last, {{ dbt.hash(dbt.concat(values)) }}
{%- endmacro %}
