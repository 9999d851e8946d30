with

source as (
    {{ screened_source('salesforce', 'lead_score_feedback') }}
),

final as (
    select
        -- ids
        id as feedback_id,
        lead_id,

        -- feedback
        created_date as created_at,
        lower(trim(verdict)) as verdict,
        {{ clean_text('note', positive_int_var('max_text_characters', 100000)) }} as note
    from source
    where rejection_reason is null
)

select * from final
