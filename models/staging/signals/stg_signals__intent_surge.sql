with

source as (
    {{ screened_source('signals', 'intent_surge') }}
),

renamed as (
    select
        -- ids
        {{ clean_domain('domain') }} as domain,

        -- surge: the provider's scale is 0-100, values outside it are unknown
        trim(topic) as topic,
        {{ plausible_number('composite_score', 0, 100) }} as composite_score,
        week_start_date
    from source
    where rejection_reason is null
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'domain',
            "'|'",
            "coalesce(topic, '')",
            "'|'",
            "coalesce(cast(week_start_date as " ~ dbt.type_string() ~ "), '')"
        ])) }} as intent_surge_id,
        domain,
        topic,
        composite_score,
        week_start_date
    from renamed
)

select * from final
