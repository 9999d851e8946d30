{#-
    The leads whose trainable snapshots the next training run fits on (matured label). All of
    them while they hold at most var max_training_snapshots trainable snapshots; above that, a uniform random
    sample of whole leads, taken in the order of a hash of lead_id, until the cap. Sampling whole leads keeps every
    lead's history together and the label rate, the dates and the time split as they are; the hash makes the
    sample the same on every run and engine. A view: it is read only when a build trains.
-#}
{{ config(materialized='view') }}
{%- set max_snapshots = positive_int_var('max_training_snapshots', 2000000) -%}

with

snapshots as (
    select * from {{ ref('int_lead_snapshots') }}
),

trainable_leads as (
    select
        lead_id,
        count(*) as trainable_snapshots
    from snapshots
    where
        label is not null
        and coalesce(is_label_mature, false)
    group by 1
),

ordered_leads as (
    select
        lead_id,
        trainable_snapshots,
        sum(trainable_snapshots) over (
            order by {{ dbt.hash('lead_id') }}, lead_id
            rows between unbounded preceding and current row
        ) as cumulative_snapshots
    from trainable_leads
),

final as (
    select
        lead_id,
        trainable_snapshots
    from ordered_leads
    where cumulative_snapshots <= {{ max_snapshots }}
)

select * from final
