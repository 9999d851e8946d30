{% macro spark__load_csv_rows(model, agate_table) %}
    {#-
        Seeds on dbt-spark: its session cursor pastes every seed value between quotes without escaping, so an
        apostrophe in a seed ("the lead's title") breaks the insert and an empty cell becomes the text 'None'.
        The values are written as escaped literals here instead (nulls stay null), one insert per batch.
    -#}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for value in row -%}
                    {%- set column_type = column_override.get(
                        agate_table.column_names[loop.index0], adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ seed_literal(value) }} as {{ column_type }}){{ ", " if not loop.last }}
                {%- endfor -%}
                ){{ "," if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}


{% macro seed_literal(value) %}
    {#- One seed cell as a SQL literal: null, true/false, a number, or an escaped string. -#}
    {%- if value is none -%}null
    {%- elif value is sameas true or value is sameas false -%}{{ 'true' if value else 'false' }}
    {%- elif value is number -%}{{ value }}
    {%- else -%}{{ string_literal(value) }}
    {%- endif -%}
{% endmacro %}
