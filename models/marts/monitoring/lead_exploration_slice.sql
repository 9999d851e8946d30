{#-
    Today's exploration slice: the open low-band leads (var exploration_bands) drawn for follow-up anyway, about
    exploration_share of them. Leads scored low are rarely worked, so their outcomes are never seen; working this
    random slice measures how well the low bands really convert (ml_exploration_estimate).
-#}

with

exploration_draws as (
    select * from {{ ref('ml_exploration_draws') }}
),

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

final as (
    select
        exploration_draws.lead_id,
        lead_scores.account_domain,
        exploration_draws.as_of_date,
        exploration_draws.priority_band,
        exploration_draws.lead_score,
        exploration_draws.probability as conversion_probability,
        exploration_draws.model_version,
        exploration_draws.exploration_draw,
        'exploration: a random share of low-band leads is followed up to measure their true conversion rate'
            as follow_up_reason
    from exploration_draws
    inner join lead_scores
        on exploration_draws.lead_id = lead_scores.lead_id
    where
        exploration_draws.population = 'scoring'
        and exploration_draws.is_explored
)

select * from final
