with

source as (
    {{ screened_source('segment', 'pages') }}
),

renamed as (
    select
        -- ids
        id as page_view_id,
        anonymous_id,
        user_id,

        -- page
        {{ adapter.quote('timestamp') }} as viewed_at,
        lower(trim({{ dbt.split_part(dbt.split_part('path', "'?'", 1), "'#'", 1) }})) as raw_page_path,
        url,
        {{ clean_text('title', 255) }} as page_title,
        referrer
    from source
    where rejection_reason is null
),

final as (
    select
        page_view_id,
        anonymous_id,
        user_id,
        viewed_at,
        -- one path per page: '/Pricing/' and '/pricing' are the same page; the home page stays '/'
        case
            when raw_page_path = '' then '/'
            when {{ dbt.right('raw_page_path', 1) }} = '/' and {{ dbt.length('raw_page_path') }} > 1
                then substring(raw_page_path, 1, {{ dbt.length('raw_page_path') }} - 1)
            else raw_page_path
        end as page_path,
        url,
        page_title,
        referrer
    from renamed
)

select * from final
