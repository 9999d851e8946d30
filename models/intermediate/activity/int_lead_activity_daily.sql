{#- Lead activity counted per lead, day it happened and day it became known: the grain the windows sum over. -#}

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
            ) as {{ measure.name }},
        {% endfor -%}
        sum(
            case
                when activity_source in {{ string_list(engagement_sources()) }} then 1
                else 0
            end
        ) as engagement_events
    from activities
    group by 1, 2, 3
)

select * from final
