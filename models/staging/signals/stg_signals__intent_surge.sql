{%- set surge_key = domain_from_url('domain') ~ ', trim(topic), week_start_date' -%}

with

source as (
    {{ contract_source('signals', 'intent_surge') }}
),

renamed as (
    select
        -- ids
        {{ domain_from_url('domain') }} as domain,

        -- surge
        trim(topic) as topic,
        composite_score,
        week_start_date,

        {{ recency_rank('signals', 'intent_surge', partition_by=surge_key) }} as recency_rank
    from source
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
    where
        recency_rank = 1
        and domain is not null
)

select * from final
