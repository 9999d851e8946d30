{#-
    Every raw row that staging leaves out, from every source table, with the reason: one place to see what
    the package did not use and why. Keys and times only, never the row's content.
-#}

with

{% for source_table in screening_rules() %}
    {%- set source_name, table_name = source_table.split('.') %}
    {{ source_name }}__{{ table_name }} as (
        {{ rejected_source_rows(source_name, table_name) }}
    ),
{% endfor %}

final as (
    {%- for source_table in screening_rules() %}
        select * from {{ source_table.replace('.', '__') }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from final
