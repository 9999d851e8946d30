{#- The full-table reverse-ETL feed: every open lead's synced score fields, named as CRM fields. -#}
-- depends_on: {{ ref('crm_field_mapping') }}

with

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

final as (
    select
        {{ crm_sync_columns('lead_scores') }}
    from lead_scores
)

select * from final
