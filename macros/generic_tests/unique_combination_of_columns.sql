{% test unique_combination_of_columns(model, combination_of_columns) %}
    {#- Fails on every combination of the given columns that appears more than once. -#}
    with

    grouped as (
        select
            {{ combination_of_columns | join(', ') }},
            count(*) as row_count
        from {{ model }}
        group by {{ combination_of_columns | join(', ') }}
    )

    select * from grouped
    where row_count > 1
{% endtest %}
