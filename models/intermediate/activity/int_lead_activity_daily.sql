{#-
    Lead activity counted per lead, day it happened and day it became known: the grain the windows sum over.
    Counts are plain integers: DuckDB would keep them as 128-bit sums, slower to sum again per snapshot.
-#}

with

activities as (
    select * from {{ ref('int_lead_activities_unioned') }}
),

final as (
    select
        lead_id,
        activity_date,
        known_date,
        {% for measure in activity_measures() -%}
            cast(
                sum(
                    case
                        when
                            activity_source = '{{ measure.source }}'
                            {%- if measure.types %}
                                and activity_type in {{ string_list(measure.types) }}
                            {%- endif %}
                            then 1
                        else 0
                    end
                ) as {{ dbt.type_int() }}
            ) as {{ measure.name }},
        {% endfor -%}
        cast(
            sum(
                case
                    when activity_source in {{ string_list(engagement_sources()) }} then 1
                    else 0
                end
            ) as {{ dbt.type_int() }}
        ) as engagement_events
    from activities
    group by 1, 2, 3
)

select * from final
