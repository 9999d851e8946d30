with

source as (
    {{ screened_source('product', 'call_transcripts') }}
),

final as (
    select
        -- ids
        id as transcript_id,
        lead_id,
        contact_id,

        -- call: no call lasts more than a day, so longer or negative durations are unknown
        started_at,
        {{ plausible_number('duration_seconds', 0, 86400) }} as duration_seconds,
        {{ clean_text('transcript', positive_int_var('max_text_characters', 100000)) }} as transcript
    from source
    where rejection_reason is null
)

select * from final
