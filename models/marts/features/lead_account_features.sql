{#-
    Account-level features: how the lead's whole company (all leads sharing its domain) engages, who in the
    buying committee is involved, and the company's deal history, as known at the snapshot.

    The join of account snapshots to activity runs on integer keys (a number per account, lead and account
    snapshot) and counts each stakeholder once per account snapshot before the committee counts: the same result
    as distinct counts over the text keys, several times faster.
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

account_snapshot_dates as (
    select distinct
        account_domain,
        as_of_date
    from snapshots
    where account_domain is not null
),

account_domains as (
    select
        account_domain,
        row_number() over (order by account_domain) as account_number
    from account_snapshot_dates
    group by 1
),

account_snapshots as (
    select
        account_snapshot_dates.account_domain,
        account_snapshot_dates.as_of_date,
        account_domains.account_number,
        row_number() over (order by account_snapshot_dates.account_domain, account_snapshot_dates.as_of_date)
            as account_snapshot_number
    from account_snapshot_dates
    inner join account_domains
        on account_snapshot_dates.account_domain = account_domains.account_domain
),

numbered_leads as (
    select
        lead_id,
        company_domain,
        seniority,
        department,
        created_at,
        row_number() over (order by lead_id) as lead_number
    from leads
),

account_daily_activity as (
    select
        account_domains.account_number,
        numbered_leads.lead_number,
        daily_activity.activity_date,
        daily_activity.known_date,
        daily_activity.engagement_events,
        daily_activity.page_views
    from daily_activity
    inner join numbered_leads
        on daily_activity.lead_id = numbered_leads.lead_id
    inner join account_domains
        on numbered_leads.company_domain = account_domains.account_domain
),

stakeholder_activity as (
    -- each engaged lead once per account snapshot, so the committee counts below need no distinct over the join
    select
        account_snapshots.account_snapshot_number,
        account_daily_activity.lead_number,
        sum(account_daily_activity.engagement_events) as engagement_events,
        sum(
            case
                when {{ in_window('account_daily_activity.activity_date', 'account_snapshots.as_of_date', 30) }}
                    then account_daily_activity.page_views
                else 0
            end
        ) as page_views_30d,
        sum(account_daily_activity.page_views) as page_views_90d
    from account_snapshots
    inner join account_daily_activity
        on
            account_snapshots.account_number = account_daily_activity.account_number
            and account_snapshots.as_of_date > account_daily_activity.known_date
            and {{ in_window(
                'account_daily_activity.activity_date', 'account_snapshots.as_of_date', committee_window_days
            ) }}
    group by 1, 2
),

committee_activity as (
    select
        stakeholder_activity.account_snapshot_number,
        count(case when stakeholder_activity.engagement_events > 0 then 1 end) as engaged_stakeholders_90d,
        count(distinct case when stakeholder_activity.engagement_events > 0 then numbered_leads.department end)
            as engaged_departments_90d,
        count(distinct case when stakeholder_activity.engagement_events > 0 then numbered_leads.seniority end)
            as engaged_seniority_levels_90d,
        count(
            case
                when
                    stakeholder_activity.engagement_events > 0
                    and numbered_leads.seniority in ('director', 'vp', 'c_level')
                    then 1
            end
        ) as engaged_senior_stakeholders_90d,
        sum(stakeholder_activity.page_views_30d) as account_page_views_30d,
        sum(stakeholder_activity.page_views_90d) as account_page_views_90d,
        sum(stakeholder_activity.engagement_events) as account_engagement_events_90d
    from stakeholder_activity
    inner join numbered_leads
        on stakeholder_activity.lead_number = numbered_leads.lead_number
    group by 1
),

known_leads as (
    select
        account_snapshots.account_snapshot_number,
        count(*) as account_known_leads
    from account_snapshots
    inner join leads
        on
            account_snapshots.account_domain = leads.company_domain
            and leads.created_at < cast(account_snapshots.as_of_date as {{ dbt.type_timestamp() }})
    group by 1
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
        account_snapshots.account_snapshot_number,
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
    group by 1
),

trial_users as (
    select
        account_snapshots.account_snapshot_number,
        count(distinct trial_events.email) as account_trial_users_90d
    from account_snapshots
    inner join trial_events
        on
            account_snapshots.account_domain = trial_events.account_domain
            and {{ in_window(
                'cast(trial_events.occurred_at as date)', 'account_snapshots.as_of_date', committee_window_days
            ) }}
    group by 1
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
    left join account_snapshots
        on
            snapshots.account_domain = account_snapshots.account_domain
            and snapshots.as_of_date = account_snapshots.as_of_date
    left join known_leads
        on account_snapshots.account_snapshot_number = known_leads.account_snapshot_number
    left join committee_activity
        on account_snapshots.account_snapshot_number = committee_activity.account_snapshot_number
    left join deal_history
        on account_snapshots.account_snapshot_number = deal_history.account_snapshot_number
    left join trial_users
        on account_snapshots.account_snapshot_number = trial_users.account_snapshot_number
)

select * from final
