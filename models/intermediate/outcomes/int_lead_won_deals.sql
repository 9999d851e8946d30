{#- Leads whose conversion became a won deal, with its amount: what the deal-size model learns from. -#}

with

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

final as (
    select
        leads.lead_id,
        leads.converted_date,
        opportunities.opportunity_id,
        opportunities.amount,
        opportunities.close_date
    from leads
    inner join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
    where
        opportunities.is_won
        and opportunities.amount > 0
        and leads.converted_date is not null
)

select * from final
