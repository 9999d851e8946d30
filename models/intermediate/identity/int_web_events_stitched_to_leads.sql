{#-
    Page views and track events attributed to the leads their visitor was identified as. known_at is when the
    event could first be tied to the lead: an anonymous visit is only the lead's from the identify onwards, so
    point-in-time features filter on known_at, never on occurred_at alone.
-#}

with

pages as (
    select * from {{ ref('stg_segment__pages') }}
),

tracks as (
    select * from {{ ref('stg_segment__tracks') }}
),

page_categories as (
    select * from {{ ref('page_categories') }}
),

identities as (
    select * from {{ ref('int_web_identities_mapped_to_leads') }}
),

page_paths as (
    select distinct page_path
    from pages
    where page_path is not null
),

page_path_matches as (
    select
        page_paths.page_path,
        page_categories.page_category,
        row_number() over (
            partition by page_paths.page_path
            order by page_categories.priority
        ) as match_rank
    from page_paths
    inner join page_categories
        on page_paths.page_path like page_categories.path_pattern
),

web_events as (
    select
        pages.page_view_id as event_id,
        'page' as event_source,
        coalesce(page_path_matches.page_category, 'other') as event_name,
        pages.page_path,
        pages.anonymous_id,
        pages.user_id,
        pages.viewed_at as occurred_at
    from pages
    left join page_path_matches
        on
            pages.page_path = page_path_matches.page_path
            and page_path_matches.match_rank = 1

    union all

    select
        track_id as event_id,
        'track' as event_source,
        event_name,
        cast(null as {{ dbt.type_string() }}) as page_path,
        anonymous_id,
        user_id,
        occurred_at
    from tracks
),

attributed_events as (
    select
        web_events.*,
        identities.lead_id,
        identities.identified_at
    from web_events
    inner join identities
        on
            identities.identity_type = 'anonymous_id'
            and web_events.anonymous_id = identities.identity_value

    union all

    select
        web_events.*,
        identities.lead_id,
        identities.identified_at
    from web_events
    inner join identities
        on
            identities.identity_type = 'user_id'
            and web_events.user_id = identities.identity_value
),

ranked_attributions as (
    select
        *,
        -- an event reached through both its cookie and its user_id counts once, from the earlier link
        row_number() over (
            partition by event_source, event_id, lead_id
            order by identified_at
        ) as attribution_rank
    from attributed_events
    where occurred_at is not null
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'event_source', "'|'", 'event_id', "'|'", 'lead_id'
        ])) }} as stitched_event_id,
        event_id,
        event_source,
        event_name,
        page_path,
        lead_id,
        occurred_at,
        identified_at,
        greatest(occurred_at, identified_at) as known_at
    from ranked_attributions
    where attribution_rank = 1
)

select * from final
