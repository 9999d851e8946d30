{#- Conversational features: what the lead's recorded calls and chats before the snapshot talked about. -#}

with

snapshots as (
    select * from {{ ref('int_lead_snapshots') }}
),

tagged_calls as (
    select * from {{ ref('int_call_transcripts_tagged') }}
),

snapshot_calls as (
    select
        snapshots.lead_id,
        snapshots.as_of_date,
        count(*) as calls_total,
        -- a double before dividing: Spark divides by 60.0 in decimals and keeps six places
        cast(sum(tagged_calls.duration_seconds) as {{ type_double() }}) / 60.0 as call_minutes_total,
        {% for topic in conversation_topics() -%}
            sum(tagged_calls.mentions_{{ topic }}) as calls_mentioning_{{ topic }},
        {% endfor -%}
        min({{ days_between('cast(tagged_calls.started_at as date)', 'snapshots.as_of_date') }})
            as days_since_last_call
    from snapshots
    inner join tagged_calls
        on
            snapshots.lead_id = tagged_calls.lead_id
            and tagged_calls.started_at < cast(snapshots.as_of_date as {{ dbt.type_timestamp() }})
    group by 1, 2
),

final as (
    select
        snapshots.lead_id,
        snapshots.as_of_date,
        coalesce(snapshot_calls.calls_total, 0) as calls_total,
        cast(coalesce(snapshot_calls.call_minutes_total, 0) as {{ type_double() }}) as call_minutes_total,
        {% for topic in conversation_topics() -%}
            cast(coalesce(snapshot_calls.calls_mentioning_{{ topic }}, 0) as {{ dbt.type_bigint() }})
                as calls_mentioning_{{ topic }},
        {% endfor -%}
        snapshot_calls.days_since_last_call
    from snapshots
    left join snapshot_calls
        on
            snapshots.lead_id = snapshot_calls.lead_id
            and snapshots.as_of_date = snapshot_calls.as_of_date
)

select * from final
