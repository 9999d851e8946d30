{#-
    Account-level features: how the lead's whole company (all leads sharing its domain) engages, who in the
    buying committee is involved, and the company's deal history, as known at the snapshot.
-#}
{%- set committee_window_days = 90 -%}

with

snapshots as (
    select * from {{ ref('int_lead_snapshots') }}
),

leads as (
    select * from {{ ref('int_leads_classified') }}
),

daily_activity as (
    select * from {{ ref('int_lead_activity_daily') }}
),

accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

trial_events as (
    select * from {{ ref('stg_product__trial_events') }}
),

account_snapshots as (
    select distinct
        account_domain,
        as_of_date
    from snapshots
    where account_domain is not null
),

account_daily_activity as (
    select
        leads.company_domain as account_domain,
        leads.lead_id,
        leads.seniority,
        leads.department,
        daily_activity.activity_date,
        daily_activity.known_date,
        daily_activity.engagement_events,
        daily_activity.page_views
    from daily_activity
    inner join leads
        on daily_activity.lead_id = leads.lead_id
    where leads.company_domain is not null
),

committee_activity as (
    select
        account_snapshots.account_domain,
        account_snapshots.as_of_date,
        count(distinct case when account_daily_activity.engagement_events > 0 then account_daily_activity.lead_id end)
            as engaged_stakeholders_90d,
        count(
            distinct case when account_daily_activity.engagement_events > 0 then account_daily_activity.department end
        ) as engaged_departments_90d,
        count(
            distinct case when account_daily_activity.engagement_events > 0 then account_daily_activity.seniority end
        ) as engaged_seniority_levels_90d,
        count(
            distinct case
                when
                    account_daily_activity.engagement_events > 0
                    and account_daily_activity.seniority in ('director', 'vp', 'c_level')
                    then account_daily_activity.lead_id
            end
        ) as engaged_senior_stakeholders_90d,
        sum(
            case
                when {{ in_window('account_daily_activity.activity_date', 'account_snapshots.as_of_date', 30) }}
                    then account_daily_activity.page_views
                else 0
            end
        ) as account_page_views_30d,
        sum(account_daily_activity.page_views) as account_page_views_90d,
        sum(account_daily_activity.engagement_events) as account_engagement_events_90d
    from account_snapshots
    inner join account_daily_activity
        on
            account_snapshots.account_domain = account_daily_activity.account_domain
            and account_snapshots.as_of_date > account_daily_activity.known_date
            and {{ in_window(
                'account_daily_activity.activity_date', 'account_snapshots.as_of_date', committee_window_days
            ) }}
    group by 1, 2
),

known_leads as (
    select
        account_snapshots.account_domain,
        account_snapshots.as_of_date,
        count(*) as account_known_leads
    from account_snapshots
    inner join leads
        on
            account_snapshots.account_domain = leads.company_domain
            and leads.created_at < cast(account_snapshots.as_of_date as {{ dbt.type_timestamp() }})
    group by 1, 2
),

account_opportunities as (
    select
        accounts.website_domain as account_domain,
        opportunities.created_at,
        opportunities.close_date,
        coalesce(opportunities.is_closed, false) as is_closed,
        coalesce(opportunities.is_won, false) as is_won
    from opportunities
    inner join accounts
        on opportunities.account_id = accounts.account_id
    where accounts.website_domain is not null
),

deal_history as (
    select
        account_snapshots.account_domain,
        account_snapshots.as_of_date,
        sum(
            case
                when
                    not account_opportunities.is_closed
                    or account_opportunities.close_date >= account_snapshots.as_of_date
                    then 1
                else 0
            end
        ) as account_open_opportunities,
        sum(
            case
                when account_opportunities.is_won and account_opportunities.close_date < account_snapshots.as_of_date
                    then 1
                else 0
            end
        ) as account_won_opportunities
    from account_snapshots
    inner join account_opportunities
        on
            account_snapshots.account_domain = account_opportunities.account_domain
            and account_opportunities.created_at < cast(account_snapshots.as_of_date as {{ dbt.type_timestamp() }})
    group by 1, 2
),

trial_users as (
    select
        account_snapshots.account_domain,
        account_snapshots.as_of_date,
        count(distinct trial_events.email) as account_trial_users_90d
    from account_snapshots
    inner join trial_events
        on
            account_snapshots.account_domain = trial_events.account_domain
            and {{ in_window(
                'cast(trial_events.occurred_at as date)', 'account_snapshots.as_of_date', committee_window_days
            ) }}
    group by 1, 2
),

final as (
    select
        snapshots.lead_id,
        snapshots.as_of_date,
        coalesce(known_leads.account_known_leads, 0) as account_known_leads,
        coalesce(committee_activity.engaged_stakeholders_90d, 0) as engaged_stakeholders_90d,
        coalesce(committee_activity.engaged_departments_90d, 0) as engaged_departments_90d,
        coalesce(committee_activity.engaged_seniority_levels_90d, 0) as engaged_seniority_levels_90d,
        coalesce(committee_activity.engaged_senior_stakeholders_90d, 0) as engaged_senior_stakeholders_90d,
        cast(coalesce(committee_activity.account_page_views_30d, 0) as {{ dbt.type_bigint() }})
            as account_page_views_30d,
        cast(coalesce(committee_activity.account_page_views_90d, 0) as {{ dbt.type_bigint() }})
            as account_page_views_90d,
        cast(coalesce(committee_activity.account_engagement_events_90d, 0) as {{ dbt.type_bigint() }})
            as account_engagement_events_90d,
        cast(coalesce(deal_history.account_open_opportunities, 0) as {{ dbt.type_bigint() }})
            as account_open_opportunities,
        cast(coalesce(deal_history.account_won_opportunities, 0) as {{ dbt.type_bigint() }})
            as account_won_opportunities,
        coalesce(trial_users.account_trial_users_90d, 0) as account_trial_users_90d
    from snapshots
    left join known_leads
        on
            snapshots.account_domain = known_leads.account_domain
            and snapshots.as_of_date = known_leads.as_of_date
    left join committee_activity
        on
            snapshots.account_domain = committee_activity.account_domain
            and snapshots.as_of_date = committee_activity.as_of_date
    left join deal_history
        on
            snapshots.account_domain = deal_history.account_domain
            and snapshots.as_of_date = deal_history.as_of_date
    left join trial_users
        on
            snapshots.account_domain = trial_users.account_domain
            and snapshots.as_of_date = trial_users.as_of_date
)

select * from final
