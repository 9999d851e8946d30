{{ config(materialized='incremental', incremental_strategy='append') }}

{#-
    Every scoring run's changes, appended: a lead gets a row when it is first scored and whenever its synced
    score fields (score, band, SLA, reasons, model) differ from its latest row. Re-running a build on unchanged
    data appends nothing, so history never holds duplicates; score decay and band moves show as new rows.
-#}

with

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

fingerprinted as (
    select
        *,
        {{ score_fingerprint(synced_score_columns()) }} as score_fingerprint,
        '{{ invocation_id }}' as scoring_run_id
    from lead_scores
),

{% if is_incremental() %}
    previous_rows as (
        select
            lead_id,
            score_fingerprint,
            row_number() over (partition by lead_id order by scored_at desc, scoring_run_id desc) as recency_rank
        from {{ this }}
    ),

    latest_rows as (
        select * from previous_rows
        where recency_rank = 1
    ),

    final as (
        select fingerprinted.*
        from fingerprinted
        left join latest_rows
            on fingerprinted.lead_id = latest_rows.lead_id
        where
            latest_rows.lead_id is null
            or fingerprinted.score_fingerprint != latest_rows.score_fingerprint
    )
{% else %}
    final as (
        select * from fingerprinted
    )
{% endif %}

select * from final
