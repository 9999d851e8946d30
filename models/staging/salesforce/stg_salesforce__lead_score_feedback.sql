with

source as (
    {{ contract_source('salesforce', 'lead_score_feedback') }}
),

renamed as (
    select
        -- ids
        id as feedback_id,
        lead_id,

        -- feedback
        created_date as created_at,
        lower(trim(verdict)) as verdict,
        note,

        {{ recency_rank('salesforce', 'lead_score_feedback') }} as recency_rank
    from source
),

final as (
    select
        feedback_id,
        lead_id,
        created_at,
        verdict,
        note
    from renamed
    where recency_rank = 1
)

select * from final
