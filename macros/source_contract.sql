{% macro contract_type(generic_type) %}
    {#- Maps the generic type names used in the sources yml to the adapter's own types. -#}
    {%- set generic = generic_type | lower -%}
    {%- if generic == 'string' -%}{{ return(dbt.type_string()) }}
    {%- elif generic == 'timestamp' -%}{{ return(dbt.type_timestamp()) }}
    {%- elif generic == 'date' -%}{{ return('date') }}
    {%- elif generic == 'boolean' -%}{{ return(dbt.type_boolean()) }}
    {%- elif generic == 'bigint' -%}{{ return(dbt.type_bigint()) }}
    {%- elif generic == 'double' -%}{{ return(type_double()) }}
    {%- else -%}{{ exceptions.raise_compiler_error("Unknown contract type '" ~ generic_type ~ "'") }}
    {%- endif -%}
{% endmacro %}


{% macro type_double() %}
    {{- return(adapter.dispatch('type_double', 'lead_scoring')()) -}}
{% endmacro %}

{% macro default__type_double() %}{{ return('double') }}{% endmacro %}

{% macro bigquery__type_double() %}{{ return('float64') }}{% endmacro %}


{% macro safe_cast(expression, generic_type) %}
    {#-
        A cast that yields null on malformed input instead of failing the build. generic_type is a contract type
        (string, timestamp, ...) or else an adapter type passed through as it is: this macro shadows dbt's global
        safe_cast, which dbt itself calls with adapter types (unit-test fixtures), so both must keep working.
    -#}
    {%- set contract_types = ['string', 'timestamp', 'date', 'boolean', 'bigint', 'double'] -%}
    {%- set data_type = contract_type(generic_type) if generic_type | lower in contract_types else generic_type -%}
    {{- adapter.dispatch('safe_cast', 'lead_scoring')(expression, data_type) -}}
{% endmacro %}

{% macro default__safe_cast(expression, data_type) %}try_cast({{ expression }} as {{ data_type }}){% endmacro %}

{% macro bigquery__safe_cast(expression, data_type) %}safe_cast({{ expression }} as {{ data_type }}){% endmacro %}


{% macro contract_source_node(source_name, table_name) %}
    {%- if not execute -%}
        {#- The graph is empty while dbt parses; contract_source's source() call still records the dependency. -#}
        {{- return({'columns': {}, 'meta': {}}) -}}
    {%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == source_name and node.name == table_name -%}
            {{- return(node) -}}
        {%- endif -%}
    {%- endfor -%}
    {{- exceptions.raise_compiler_error("No source " ~ source_name ~ "." ~ table_name ~ " in the sources yml") -}}
{% endmacro %}


{% macro contract_source(source_name, table_name, extra_columns=[]) %}
    {#-
        Selects a raw table's contract columns (from the sources yml), cast to their contract types.
        - a column the raw table lacks becomes a typed null, so partial exports still build;
        - an optional table that is switched off (var <source>__<table>_enabled: false) or absent becomes an
          empty relation with the same columns, so the features it feeds are null rather than an error;
        - connector bookkeeping (_fivetran_deleted, _fivetran_active) is honoured when present;
        - extra_columns (custom fields) are passed through untyped when present, null otherwise.
    -#}
    {%- set node = contract_source_node(source_name, table_name) -%}
    {%- set enabled = var(source_name ~ '__' ~ table_name ~ '_enabled', true) -%}
    {%- set is_optional = node.meta.get('optional', false) -%}
    {%- set relation = none -%}
    {%- if enabled -%}
        {%- set declared = source(source_name, table_name) -%}
        {%- if execute -%}
            {%- set relation = adapter.get_relation(
                database=declared.database, schema=declared.schema, identifier=declared.identifier) -%}
            {%- if relation is none and not is_optional -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table " ~ declared ~ " (" ~ source_name ~ "." ~ table_name ~ ") was not found. "
                    ~ "Point var '" ~ source_name ~ "_schema' at the schema that holds it.") }}
            {%- elif relation is none -%}
                {{ log("Optional raw table " ~ declared ~ " is absent: its features will be null.", info=true) }}
            {%- endif -%}
        {%- else -%}
            {%- set relation = declared -%}
        {%- endif -%}
    {%- endif -%}
    {%- set present = [] -%}
    {%- if relation is not none and execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
    {%- elif relation is not none -%}
        {%- for column_name in node.columns -%}{%- do present.append(column_name | lower) -%}{%- endfor -%}
    {%- endif %}
    select
    {%- for column_name, column in node.columns.items() %}
        {% if column_name | lower in present -%}
            {%- if column.data_type | lower == 'string' -%}
                cast({{ adapter.quote(column_name) }} as {{ contract_type('string') }})
            {%- else -%}
                {{ safe_cast(adapter.quote(column_name), column.data_type) }}
            {%- endif -%}
        {%- else -%}
            cast(null as {{ contract_type(column.data_type) }})
        {%- endif %} as {{ column_name }},
    {%- endfor %}
        {% if '_fivetran_synced' in present -%}
            {{ safe_cast('_fivetran_synced', 'timestamp') }}
        {%- else -%}
            cast(null as {{ contract_type('timestamp') }})
        {%- endif %} as _loaded_at{{ "," if extra_columns }}
    {%- for column_name in extra_columns %}
        {% if column_name | lower in present -%}
            {{ adapter.quote(column_name) }}
        {%- else -%}
            cast(null as {{ contract_type('string') }})
        {%- endif %} as {{ column_name }}{{ "," if not loop.last }}
    {%- endfor %}
    {% if relation is not none -%}
    from {{ relation }}
    where
        {% if '_fivetran_deleted' in present -%}
            coalesce(cast(_fivetran_deleted as {{ contract_type('boolean') }}), false) = false
        {%- else -%}1 = 1{%- endif %}
        {% if '_fivetran_active' in present -%}
            and coalesce(cast(_fivetran_active as {{ contract_type('boolean') }}), true) = true
        {%- endif %}
    {%- else -%}
    limit 0
    {%- endif %}
{% endmacro %}
