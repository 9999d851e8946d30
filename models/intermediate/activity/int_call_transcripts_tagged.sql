{#- Call transcripts tagged with the conversation topics they mention, from the keyword rules seed. -#}

with

call_transcripts as (
    select * from {{ ref('stg_product__call_transcripts') }}
),

keyword_rules as (
    select * from {{ ref('conversation_keyword_rules') }}
),

transcript_topics as (
    select distinct
        call_transcripts.transcript_id,
        keyword_rules.topic
    from call_transcripts
    inner join keyword_rules
        on lower(call_transcripts.transcript) like {{ dbt.concat(["'%'", "lower(keyword_rules.pattern)", "'%'"]) }}
),

final as (
    select
        call_transcripts.transcript_id,
        call_transcripts.lead_id,
        call_transcripts.started_at,
        coalesce(call_transcripts.duration_seconds, 0) as duration_seconds,
        {% for topic in conversation_topics() -%}
            max(case when transcript_topics.topic = '{{ topic }}' then 1 else 0 end)
                as mentions_{{ topic }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from call_transcripts
    left join transcript_topics
        on call_transcripts.transcript_id = transcript_topics.transcript_id
    where call_transcripts.lead_id is not null
    group by 1, 2, 3, 4
)

select * from final
