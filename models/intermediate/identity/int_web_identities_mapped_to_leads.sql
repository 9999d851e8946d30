{#-
    One row per web identity (a Segment anonymous_id or user_id) and lead it belongs to, with the earliest time
    the link was known. Identities reach an email through identify calls, directly or through the user_id an
    anonymous cookie was identified as, and reach every lead with that email.
-#}

with

identifies as (
    select * from {{ ref('stg_segment__identifies') }}
),

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

timed_identifies as (
    select
        anonymous_id,
        user_id,
        email,
        identified_at
    from identifies
    -- an identify without a time cannot say from when its link may be used
    where identified_at is not null
),

user_emails as (
    select
        user_id,
        email,
        identified_at
    from timed_identifies
    where
        user_id is not null
        and email is not null
),

identity_emails as (
    select
        'anonymous_id' as identity_type,
        anonymous_id as identity_value,
        email,
        identified_at
    from timed_identifies
    where
        anonymous_id is not null
        and email is not null

    union all

    select
        'user_id' as identity_type,
        user_id as identity_value,
        email,
        identified_at
    from user_emails

    union all

    -- a cookie identified as a user_id without an email reaches the email given for that user_id elsewhere,
    -- from the moment both links exist
    select
        'anonymous_id' as identity_type,
        timed_identifies.anonymous_id as identity_value,
        user_emails.email,
        greatest(timed_identifies.identified_at, user_emails.identified_at) as identified_at
    from timed_identifies
    inner join user_emails
        on timed_identifies.user_id = user_emails.user_id
    where timed_identifies.anonymous_id is not null
),

identity_leads as (
    select
        identity_emails.identity_type,
        identity_emails.identity_value,
        leads.lead_id,
        min(identity_emails.identified_at) as identified_at
    from identity_emails
    inner join leads
        on identity_emails.email = leads.email
    group by 1, 2, 3
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'identity_type', "'|'", 'identity_value', "'|'", 'lead_id'
        ])) }} as web_identity_lead_id,
        identity_type,
        identity_value,
        lead_id,
        identified_at
    from identity_leads
)

select * from final
