{#-
    Row counts per feature bin for every population drift compares: the live model's training rows, today's
    scoring rows and each weekly snapshot date of the last monitoring_history_weeks weeks. Bins come from the
    training rows only: ntile(monitoring_psi_bins) upper edges for numeric features (repeated edges merged, the
    last bin open-ended), the category for string and boolean features, and bin 0 for missing values. Each
    population is capped at monitoring_drift_sample_rows rows, chosen by a hash of the snapshot key, so the cost
    stays flat however many leads there are.
-#}
{%- set key_columns = [
    'lead_id', 'as_of_date', 'account_domain', 'is_scoring_row', 'is_label_mature', 'is_never_worked', 'label',
] -%}
{%- set numeric_features = [] -%}
{%- set categorical_features = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(ref('lead_features')) -%}
        {%- if column.name | lower not in key_columns -%}
            {%- if column.is_number() -%}
                {%- do numeric_features.append(column.name | lower) -%}
            {%- else -%}
                {%- do categorical_features.append(column.name | lower) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- set sample_rows = positive_int_var('monitoring_drift_sample_rows', 100000) -%}
{%- set history_days = positive_int_var('monitoring_history_weeks', 52) * 7 -%}
{%- set lower_text = 'cast(numeric_bins.lower_edge as ' ~ dbt.type_string() ~ ')' -%}
{%- set upper_text = 'cast(numeric_bins.upper_edge as ' ~ dbt.type_string() ~ ')' -%}

with

lead_features as (
    select * from {{ ref('lead_features') }}
),

champion as (
    select * from {{ ref('ml_champion_model') }}
),

registry as (
    select * from {{ ref('ml_model_registry') }}
),

run_dates as (
    select * from {{ ref('int_run_dates') }}
),

live_model as (
    select
        champion.model_version,
        registry.train_start_date,
        registry.train_end_date,
        run_dates.scoring_as_of_date
    from champion
    inner join registry
        on champion.model_version = registry.model_version
    cross join run_dates
    where champion.scoring_method = 'model'
),

population_keys as (
    select
        lead_features.lead_id,
        lead_features.as_of_date,
        'training' as population,
        cast(live_model.train_end_date as date) as period_date
    from lead_features
    cross join live_model
    where
        not lead_features.is_scoring_row
        and lead_features.as_of_date >= cast(live_model.train_start_date as date)
        and lead_features.as_of_date <= cast(live_model.train_end_date as date)

    union all

    -- training snapshots stop at max_snapshot_age_days, so only scoring rows of leads that young compare like
    -- with like (older open leads are still scored; ml_score_drift covers them)
    select
        lead_features.lead_id,
        lead_features.as_of_date,
        'scoring' as population,
        lead_features.as_of_date as period_date
    from lead_features
    where
        lead_features.is_scoring_row
        and lead_features.lead_age_days <= {{ positive_int_var('max_snapshot_age_days', 182) }}

    union all

    select
        lead_features.lead_id,
        lead_features.as_of_date,
        'snapshot_week' as population,
        lead_features.as_of_date as period_date
    from lead_features
    cross join live_model
    where
        not lead_features.is_scoring_row
        and lead_features.as_of_date >= {{ date_add_days('live_model.scoring_as_of_date', -history_days) }}
),

ranked_keys as (
    select
        *,
        row_number() over (
            partition by population, period_date
            order by
                {{ dbt.hash(dbt.concat(['lead_id', "'|'", 'cast(as_of_date as ' ~ dbt.type_string() ~ ')'])) }},
                lead_id
        ) as sample_rank
    from population_keys
),

sampled_rows as (
    -- ranking the narrow keys, then joining the features of the sampled ones, sorts far less than ranking
    -- whole feature rows (docs/benchmark.md)
    select
        ranked_keys.population,
        ranked_keys.period_date,
        lead_features.*
    from ranked_keys
    inner join lead_features
        on
            ranked_keys.lead_id = lead_features.lead_id
            and ranked_keys.as_of_date = lead_features.as_of_date
    where ranked_keys.sample_rank <= {{ sample_rows }}
),

-- one scan of the sampled rows, a row per feature (a union per feature re-reads them where CTEs are not
-- reused, as on Spark)
numeric_feature_names as (
    {%- for feature in numeric_features %}
    select '{{ feature }}' as feature_name
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as feature_name
    from sampled_rows
    where 1 = 0
    {%- endfor %}
),

numeric_values as (
    select
        sampled_rows.population,
        sampled_rows.period_date,
        numeric_feature_names.feature_name,
        case numeric_feature_names.feature_name
            {%- for feature in numeric_features %}
            when '{{ feature }}' then cast(sampled_rows.{{ feature }} as {{ type_double() }})
            {%- endfor %}
            else cast(null as {{ type_double() }})
        end as numeric_value
    from sampled_rows
    cross join numeric_feature_names
),

numeric_value_counts as (
    -- rows per distinct value: most features take few distinct values (counts, days), so the range join to the
    -- bins below sees each value once (docs/benchmark.md)
    select
        population,
        period_date,
        feature_name,
        numeric_value,
        count(*) as value_rows
    from numeric_values
    group by 1, 2, 3, 4
),

training_numeric_values as (
    -- the bins' edges are tiles of the individual training values
    select
        feature_name,
        numeric_value
    from numeric_values
    where population = 'training'
),

categorical_feature_names as (
    {%- for feature in categorical_features %}
    select '{{ feature }}' as feature_name
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as feature_name
    from sampled_rows
    where 1 = 0
    {%- endfor %}
),

categorical_value_counts as (
    select
        sampled_rows.population,
        sampled_rows.period_date,
        categorical_feature_names.feature_name,
        case categorical_feature_names.feature_name
            {%- for feature in categorical_features %}
            when '{{ feature }}' then lower(cast(sampled_rows.{{ feature }} as {{ dbt.type_string() }}))
            {%- endfor %}
            else cast(null as {{ dbt.type_string() }})
        end as category_value,
        count(*) as value_rows
    from sampled_rows
    cross join categorical_feature_names
    group by 1, 2, 3, 4
),

training_tiles as (
    select
        feature_name,
        numeric_value,
        ntile({{ positive_int_var('monitoring_psi_bins', 10) }}) over (
            partition by feature_name
            order by numeric_value
        ) as tile
    from training_numeric_values
    where numeric_value is not null
),

tile_edges as (
    select
        feature_name,
        tile,
        max(numeric_value) as upper_edge
    from training_tiles
    group by 1, 2
),

last_tiles as (
    select
        feature_name,
        max(tile) as last_tile
    from tile_edges
    group by 1
),

closed_edges as (
    select distinct
        tile_edges.feature_name,
        tile_edges.upper_edge
    from tile_edges
    inner join last_tiles
        on tile_edges.feature_name = last_tiles.feature_name
    where tile_edges.tile < last_tiles.last_tile
),

closed_bins as (
    select
        feature_name,
        row_number() over (partition by feature_name order by upper_edge) as bin_index,
        lag(upper_edge) over (partition by feature_name order by upper_edge) as lower_edge,
        upper_edge
    from closed_edges
),

binned_feature_names as (
    select distinct feature_name
    from numeric_value_counts
),

open_bins as (
    select
        binned_feature_names.feature_name,
        coalesce(max(closed_bins.bin_index), 0) + 1 as bin_index,
        max(closed_bins.upper_edge) as lower_edge,
        cast(null as {{ type_double() }}) as upper_edge
    from binned_feature_names
    left join closed_bins
        on binned_feature_names.feature_name = closed_bins.feature_name
    group by 1
),

numeric_bins as (
    select * from closed_bins
    union all
    select * from open_bins
),

numeric_counts as (
    select
        numeric_value_counts.population,
        numeric_value_counts.period_date,
        numeric_value_counts.feature_name,
        'numeric' as feature_kind,
        coalesce(numeric_bins.bin_index, 0) as bin_index,
        case
            when numeric_bins.bin_index is null then 'missing'
            when numeric_bins.lower_edge is null and numeric_bins.upper_edge is null then 'all values'
            when numeric_bins.lower_edge is null then {{ dbt.concat(["'<= '", upper_text]) }}
            when numeric_bins.upper_edge is null then {{ dbt.concat(["'> '", lower_text]) }}
            else {{ dbt.concat(["'('", lower_text, "', '", upper_text, "']'"]) }}
        end as bin_label,
        numeric_bins.lower_edge,
        numeric_bins.upper_edge,
        cast(sum(numeric_value_counts.value_rows) as {{ dbt.type_bigint() }}) as row_count
    from numeric_value_counts
    left join numeric_bins
        on
            numeric_value_counts.feature_name = numeric_bins.feature_name
            and numeric_value_counts.numeric_value is not null
            and (numeric_bins.lower_edge is null or numeric_value_counts.numeric_value > numeric_bins.lower_edge)
            and (numeric_bins.upper_edge is null or numeric_value_counts.numeric_value <= numeric_bins.upper_edge)
    group by 1, 2, 3, 4, 5, 6, 7, 8
),

distinct_categories as (
    select distinct
        feature_name,
        category_value
    from categorical_value_counts
    where category_value is not null
),

categories as (
    select
        feature_name,
        category_value,
        dense_rank() over (partition by feature_name order by category_value) as bin_index
    from distinct_categories
),

categorical_counts as (
    select
        categorical_value_counts.population,
        categorical_value_counts.period_date,
        categorical_value_counts.feature_name,
        'categorical' as feature_kind,
        coalesce(categories.bin_index, 0) as bin_index,
        coalesce(categories.category_value, 'missing') as bin_label,
        cast(null as {{ type_double() }}) as lower_edge,
        cast(null as {{ type_double() }}) as upper_edge,
        cast(sum(categorical_value_counts.value_rows) as {{ dbt.type_bigint() }}) as row_count
    from categorical_value_counts
    left join categories
        on
            categorical_value_counts.feature_name = categories.feature_name
            and categorical_value_counts.category_value = categories.category_value
    group by 1, 2, 3, 4, 5, 6, 7, 8
),

all_counts as (
    select * from numeric_counts
    union all
    select * from categorical_counts
),

final as (
    select
        live_model.model_version,
        all_counts.feature_name,
        all_counts.feature_kind,
        all_counts.population,
        all_counts.period_date,
        all_counts.bin_index,
        all_counts.bin_label,
        all_counts.lower_edge,
        all_counts.upper_edge,
        all_counts.row_count
    from all_counts
    cross join live_model
)

select * from final
