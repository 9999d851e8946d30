{#-
    Intent features: third-party topic surge for the lead's company domain over the last intent_lookback_weeks.
    A week's score is known once the week is over, so a snapshot sees weeks that ended before its date.
-#}
{%- set lookback_weeks = positive_int_var('intent_lookback_weeks', 4) -%}
{%- set surge_threshold = positive_int_var('intent_surge_threshold', 60) -%}
{%- set recent_weeks = (lookback_weeks + 1) // 2 -%}

with

snapshots as (
    select * from {{ ref('int_lead_snapshots') }}
),

intent_surge as (
    select * from {{ ref('stg_signals__intent_surge') }}
),

account_snapshots as (
    select distinct
        account_domain,
        as_of_date
    from snapshots
    where account_domain is not null
),

visible_weeks as (
    select
        account_snapshots.account_domain,
        account_snapshots.as_of_date,
        intent_surge.topic,
        intent_surge.composite_score,
        {{ days_between('intent_surge.week_start_date', 'account_snapshots.as_of_date') }}
            as days_since_week_start
    from account_snapshots
    inner join intent_surge
        on account_snapshots.account_domain = intent_surge.domain
    where
        {{ date_add_days('intent_surge.week_start_date', 7) }} <= account_snapshots.as_of_date
        and intent_surge.week_start_date
        >= {{ date_add_days('account_snapshots.as_of_date', -(7 * lookback_weeks + 6)) }}
),

account_intent as (
    select
        account_domain,
        as_of_date,
        max(composite_score) as intent_max_score,
        -- rounded so the parallel float averages give the same value on every rebuild
        round(avg(composite_score), 9) as intent_avg_score,
        count(distinct case when composite_score >= {{ surge_threshold }} then topic end) as intent_surging_topics,
        count(distinct topic) as intent_topics_observed,
        round(
            avg(case when days_since_week_start < 7 * ({{ recent_weeks }} + 1) then composite_score end)
            - avg(case when days_since_week_start >= 7 * ({{ recent_weeks }} + 1) then composite_score end),
            9
        ) as intent_trend
    from visible_weeks
    group by 1, 2
),

final as (
    select
        snapshots.lead_id,
        snapshots.as_of_date,
        account_intent.intent_max_score,
        account_intent.intent_avg_score,
        coalesce(account_intent.intent_surging_topics, 0) as intent_surging_topics,
        coalesce(account_intent.intent_topics_observed, 0) as intent_topics_observed,
        account_intent.intent_trend
    from snapshots
    left join account_intent
        on
            snapshots.account_domain = account_intent.account_domain
            and snapshots.as_of_date = account_intent.as_of_date
)

select * from final
