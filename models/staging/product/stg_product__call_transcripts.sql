with

source as (
    {{ contract_source('product', 'call_transcripts') }}
),

renamed as (
    select
        -- ids
        id as transcript_id,
        lead_id,
        contact_id,

        -- call
        started_at,
        duration_seconds,
        transcript,

        {{ recency_rank('product', 'call_transcripts') }} as recency_rank
    from source
),

final as (
    select
        transcript_id,
        lead_id,
        contact_id,
        started_at,
        duration_seconds,
        transcript
    from renamed
    where recency_rank = 1
)

select * from final
