{#-
    The reverse-ETL feed: one row per lead whose synced score fields changed in this build (new leads included),
    keyed by the CRM lead id, with columns named as CRM fields (seed crm_field_mapping). Empty when nothing changed.
-#}
-- depends_on: {{ ref('crm_field_mapping') }}

with

history as (
    select * from {{ ref('lead_score_history') }}
),

changed_this_run as (
    select * from history
    where scoring_run_id = '{{ invocation_id }}'
),

final as (
    select
        {{ crm_sync_columns('changed_this_run') }}
    from changed_this_run
)

select * from final
