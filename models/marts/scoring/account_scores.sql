{#-
    One row per company with open leads: the best lead and the lead to call first, the engaged buying committee
    and its coverage, account intent, and the probability that at least one open lead converts.
-#}

with

lead_scores as (
    select * from {{ ref('lead_scores') }}
),

scoring_features as (
    select * from {{ ref('int_open_leads_to_score') }}
),

account_leads as (
    select
        lead_scores.account_domain,
        lead_scores.lead_id,
        lead_scores.lead_score,
        lead_scores.priority_band,
        lead_scores.conversion_probability,
        lead_scores.expected_deal_value,
        lead_scores.model_version,
        lead_scores.scored_at,
        scoring_features.account_known_leads,
        scoring_features.engaged_stakeholders_90d,
        scoring_features.engaged_departments_90d,
        scoring_features.engaged_senior_stakeholders_90d,
        scoring_features.intent_max_score,
        scoring_features.intent_surging_topics,
        row_number() over (
            partition by lead_scores.account_domain
            order by lead_scores.lead_score desc, lead_scores.expected_deal_value desc, lead_scores.lead_id asc
        ) as call_order
    from lead_scores
    inner join scoring_features
        on lead_scores.lead_id = scoring_features.lead_id
    where lead_scores.account_domain is not null
),

account_totals as (
    select
        account_domain,
        count(*) as open_leads,
        max(lead_score) as best_lead_score,
        -- probability that at least one open lead converts, treating the leads as independent
        1 - exp(sum(ln(1 - least(conversion_probability, 0.999999)))) as account_conversion_probability,
        sum(expected_deal_value) as account_expected_deal_value,
        max(account_known_leads) as known_leads,
        max(engaged_stakeholders_90d) as engaged_committee_size,
        max(engaged_departments_90d) as engaged_departments,
        max(engaged_senior_stakeholders_90d) as engaged_senior_stakeholders,
        max(intent_max_score) as account_intent_score,
        max(intent_surging_topics) as account_surging_topics
    from account_leads
    group by 1
),

final as (
    select
        account_totals.account_domain,
        account_totals.open_leads,
        account_totals.best_lead_score,
        first_lead.priority_band as best_priority_band,
        first_lead.lead_id as lead_to_call_first,
        account_totals.account_conversion_probability,
        account_totals.account_expected_deal_value,
        account_totals.known_leads,
        account_totals.engaged_committee_size,
        account_totals.engaged_departments,
        account_totals.engaged_senior_stakeholders,
        {{ safe_divide('account_totals.engaged_committee_size', 'account_totals.known_leads') }}
            as committee_coverage,
        account_totals.account_intent_score,
        account_totals.account_surging_topics,
        first_lead.model_version,
        first_lead.scored_at
    from account_totals
    inner join account_leads as first_lead
        on
            account_totals.account_domain = first_lead.account_domain
            and first_lead.call_order = 1
)

select * from final
