{#-
    The SQL scorer: the champion rendered as SQL at compile time (macros/sql_scorer.sql), so any adapter scores
    every open lead without Python: probability, 1-99 score, band, expected deal value and the top three reasons
    each way. Same columns as the Python scorer (int_lead_scores_computed); tests/dbt/assert_sql_scorer_matches_python
    holds the two together.
-#}
-- sqlfluff:indentation:template_blocks_indent:false
-- The macros write generated expressions (trees, curves, sentences) whose layout the linter cannot follow:
-- noqa: disable=LT02,LT05
-- depends_on: {{ ref('ml_champion_model') }}
-- depends_on: {{ ref('ml_model_parameters') }}
-- depends_on: {{ ref('ml_model_features') }}
-- depends_on: {{ ref('ml_model_category_levels') }}
-- depends_on: {{ ref('ml_model_tree_nodes') }}
-- depends_on: {{ ref('ml_model_leaf_contributions') }}
-- depends_on: {{ ref('ml_model_linear_terms') }}
-- depends_on: {{ ref('ml_model_curve_knots') }}
{%- set scorer = sql_scorer_champion() %}
{%- set version = scorer.model_version %}
{%- set parameters = scorer.parameters %}
{%- set rendered = scorer.renderable %}
{%- set algorithm = scorer.algorithm if rendered else 'rule_points' %}
{%- set features = scorer.features.get('conversion', []) %}
{%- set deal_features = scorer.features.get('deal_size', []) %}
{%- set conversion_trees = scorer.trees.get('conversion', []) %}
{%- set deal_trees = scorer.trees.get('deal_size', []) %}
{%- set explanation_part = 'explanation' if algorithm == 'random_forest' else 'conversion' %}
{%- set terms = scorer.terms.get(explanation_part, []) %}
{%- set double = type_double() %}
{%- set string = dbt.type_string() %}

with

open_leads as (
    select * from {{ ref('int_open_leads_to_score') }}
),

score_bands as (
    select * from {{ ref('score_bands') }}
),

feature_catalog as (
    select * from {{ ref('feature_catalog') }}
),

model_features as (
    select * from {{ ref('ml_model_features') }}
    where
        model_version = '{{ version }}'
        and model_part = 'conversion'
),

{%- if algorithm == 'lightgbm' %}

leaf_contributions as (
    select * from {{ ref('ml_model_leaf_contributions') }}
    where
        model_version = '{{ version }}'
        and model_part = 'conversion'
),
{%- endif %}

leaf_scores as (
    select * from {{ ref('int_lead_scores_sql_leaves') }}
),

{%- if rendered %}

calibrated as (
    select
        lead_id,
        as_of_date,
        expected_deal_size,
    {%- set method = parameters.get('calibration.method') %}
    {%- if method == 'isotonic' %}
        {%- set calibrated = sql_scorer_interp('raw_probability', scorer.curves['calibration']) %}
    {%- elif method == 'platt' %}
        {%- set platt_input = 'ln(least(greatest(raw_probability, 1e-6), 1 - 1e-6) / (1 - least(greatest(raw_probability, 1e-6), 1 - 1e-6)))'
            if parameters.get('calibration.platt_input', 'logit') == 'logit' else 'raw_probability' %}
        {%- set calibrated = '1.0 / (1.0 + exp(-(' ~ sql_scorer_double(parameters['calibration.platt_a']) ~ ' * '
            ~ platt_input ~ ' + ' ~ sql_scorer_double(parameters['calibration.platt_b']) ~ ')))' %}
    {%- else %}
        {%- set calibrated = 'raw_probability' %}
    {%- endif %}
        {#- calibration.PROBABILITY_FLOOR keeps probabilities off 0 and 1. #}
        least(greatest({{ calibrated }}, 1e-4), 1 - 1e-4) as conversion_probability
    from leaf_scores
),

percentiles as (
    select
        *,
        98 * {{ sql_scorer_interp('conversion_probability', scorer.curves['score_percentile'], '0.0', '1.0') }}
            as score_position
    from calibrated
),

scored as (
    select
        lead_id,
        as_of_date,
        conversion_probability,
        expected_deal_size,
        cast(least(greatest(1 + {{ sql_scorer_rint('score_position') }}, 1), 99) as {{ dbt.type_int() }}) as lead_score
    from percentiles
),

{%- if algorithm == 'lightgbm' %}

leaf_rows as (
    {%- for nodes in conversion_trees %}
    select
        lead_id,
        {{ loop.index0 }} as tree_index,
        conversion_leaf_{{ loop.index0 }} as leaf_index
    from leaf_scores
    {{- '\n    union all' if not loop.last }}
    {%- endfor %}
),

path_contributions as (
    select
        leaf_rows.lead_id,
        leaf_contributions.feature_index,
        sum(leaf_contributions.contribution) as contribution
    from leaf_rows
    inner join leaf_contributions
        on
            leaf_rows.tree_index = leaf_contributions.tree_index
            and leaf_rows.leaf_index = leaf_contributions.leaf_index
    group by 1, 2
),

{%- else %}

linear_terms as (
    select
        open_leads.lead_id,
    {%- for term in terms if algorithm == 'random_forest' %}
        {{ sql_scorer_linear_term(term, 'open_leads.', scorer.kinds) }} as term_{{ term['term_index'] | int }},
    {%- endfor %}
    {%- for term in terms if algorithm == 'logistic' %}
        leaf_scores.term_{{ term['term_index'] | int }},
    {%- endfor %}
        1 as row_marker
    from open_leads
    {%- if algorithm == 'logistic' %}
    inner join leaf_scores on open_leads.lead_id = leaf_scores.lead_id
    {%- endif %}
),

path_contributions as (
    {%- for feature in features %}
        {%- set feature_terms = terms | selectattr('feature_name', 'equalto', feature.name) | list %}
    select
        lead_id,
        {{ feature.index }} as feature_index,
        {% for term in feature_terms %}{{ ' + ' if not loop.first }}term_{{ term['term_index'] | int }}{% else %}0.0{% endfor %}
            as contribution
    from linear_terms
    {{- '\n    union all' if not loop.last }}
    {%- endfor %}
),

{%- endif %}

feature_contributions as (
    select
        open_leads.lead_id,
        model_features.feature_index,
        model_features.feature_name,
        model_features.feature_kind,
        coalesce(path_contributions.contribution, 0.0) as contribution
    from open_leads
    cross join model_features
    left join path_contributions
        on
            open_leads.lead_id = path_contributions.lead_id
            and model_features.feature_index = path_contributions.feature_index
),

ranked as (
    select
        *,
        row_number() over (partition by lead_id order by contribution desc, feature_index asc) as up_rank,
        row_number() over (partition by lead_id order by contribution asc, feature_index asc) as down_rank,
        row_number() over (partition by lead_id order by abs(contribution) desc, feature_index asc) as size_rank
    from feature_contributions
),

reason_features as (
    select
        ranked.lead_id,
        ranked.feature_index,
        ranked.feature_name,
        ranked.feature_kind,
        case when ranked.contribution > 0 then 'up' else 'down' end as direction,
        case when ranked.contribution > 0 then ranked.up_rank else ranked.down_rank end as reason_rank,
        case
        {%- for feature in features if feature.kind != 'categorical' %}
            when ranked.feature_index = {{ feature.index }}
                then {{ sql_scorer_number('open_leads.' ~ feature.name, feature.name, feature.kind) }}
        {%- endfor %}
        end as number_value,
        case
        {%- for feature in features if feature.kind == 'categorical' %}
            when ranked.feature_index = {{ feature.index }} then cast(open_leads.{{ feature.name }} as {{ string }})
        {%- endfor %}
        end as text_value
    from ranked
    inner join open_leads on ranked.lead_id = open_leads.lead_id
    where
        (ranked.contribution > 0 and ranked.up_rank <= 3)
        or (ranked.contribution < 0 and ranked.down_rank <= 3)
),

reason_values as (
    select
        *,
        {{ sql_scorer_rint('number_value * 100') }} / 100 as rounded_value
    from reason_features
),

reason_sentences as (
    select
        reason_values.lead_id,
        reason_values.direction,
        reason_values.reason_rank,
        case
            when reason_values.feature_kind = 'boolean'
                then case when reason_values.number_value is null then null when reason_values.number_value != 0 then 'yes' else 'no' end
            when reason_values.feature_kind = 'categorical' then reason_values.text_value
            else {{ sql_scorer_number_text('reason_values.rounded_value', 2) }}
        end as value_text,
        -- a feature the seed does not describe (a custom field) reads the sentences stored with the model
        case
            when feature_catalog.feature_name is null then model_features.fallback_description
            else coalesce(nullif(trim(feature_catalog.description), ''), reason_values.feature_name)
        end as label,
        case
            when feature_catalog.feature_name is null then model_features.fallback_explanation_template
            else feature_catalog.explanation_template
        end as explanation_template,
        case
            when feature_catalog.feature_name is null then model_features.fallback_missing_explanation
            else feature_catalog.missing_explanation
        end as missing_explanation
    from reason_values
    left join feature_catalog on reason_values.feature_name = feature_catalog.feature_name
    left join model_features on reason_values.feature_index = model_features.feature_index
),

reasons as (
    select
        lead_id,
        direction,
        reason_rank,
        case
            when value_text is null
                then coalesce(nullif(trim(missing_explanation), ''), {{ dbt.concat(['label', "': unknown'"]) }})
            when trim(coalesce(explanation_template, '')) = ''
                then {{ dbt.concat(['label', "': '", 'value_text']) }}
            else replace(explanation_template, '{value}', value_text)
        end as reason
    from reason_sentences
),

reasons_pivoted as (
    select
        lead_id,
    {%- for direction in ['up', 'down'] %}
        {%- for rank in [1, 2, 3] %}
        max(case when direction = '{{ direction }}' and reason_rank = {{ rank }} then reason end)
            as reason_{{ direction }}_{{ rank }},
        {%- endfor %}
    {%- endfor %}
        count(*) as reason_count
    from reasons
    group by 1
),

{%- set json_by_size = features | length > 10 %}
{%- set expected_value = parameters.get('conversion.bias') if algorithm == 'lightgbm'
    else parameters.get('explanation.intercept') if algorithm == 'random_forest'
    else parameters.get('conversion.intercept') %}

json_terms as (
    select
        lead_id,
        {{ 'size_rank' if json_by_size else 'feature_index + 1' }} as json_slot,
        {{ dbt.concat(["'\"'", 'feature_name', "'\": '",
            sql_scorer_number_text(sql_scorer_rint('contribution * 10000') ~ ' / 10000', 4)]) }} as json_term,
        case when size_rank > 10 then contribution else 0.0 end as rest_contribution
    from ranked
),

json_slots as (
    select
        lead_id,
    {%- for slot in range(1, [features | length, 10] | min + 1) %}
        max(case when json_slot = {{ slot }} then json_term end) as json_term_{{ slot }},
    {%- endfor %}
        {{ sql_scorer_rint('sum(rest_contribution) * 10000') }} / 10000 as rest_rounded
    from json_terms
    group by 1
),

contributions_json as (
    select
        lead_id,
        {%- set pieces = ["'{'"] %}
        {%- for slot in range(1, [features | length, 10] | min + 1) %}
            {%- do pieces.extend(["', '"] if not loop.first else []) %}
            {%- do pieces.append('json_term_' ~ slot) %}
        {%- endfor %}
        {%- if json_by_size %}
            {%- do pieces.extend(["', \"_other\": '", sql_scorer_number_text('rest_rounded', 4)]) %}
        {%- endif %}
        {%- do pieces.extend(["', \"_expected_value\": '",
            sql_scorer_number_text(sql_scorer_rint(sql_scorer_double(expected_value) ~ ' * 10000') ~ ' / 10000', 4), "'}'"]) %}
        {{ dbt.concat(pieces) }} as contributions_json
    from json_slots
),

banded as (
    select
        scored.*,
        score_bands.band as priority_band,
        cast(score_bands.contact_sla_hours as {{ double }}) as contact_sla_hours
    from scored
    left join score_bands
        on scored.lead_score between score_bands.min_score and score_bands.max_score
),

final as (
    select
        banded.lead_id,
        banded.as_of_date,
        banded.conversion_probability,
        banded.lead_score,
        banded.priority_band,
        banded.contact_sla_hours,
        banded.expected_deal_size,
        banded.conversion_probability * banded.expected_deal_size as expected_deal_value,
        '{{ version }}' as model_version,
        'model' as scoring_method,
        reasons_pivoted.reason_up_1,
        reasons_pivoted.reason_up_2,
        reasons_pivoted.reason_up_3,
        reasons_pivoted.reason_down_1,
        reasons_pivoted.reason_down_2,
        reasons_pivoted.reason_down_3,
        contributions_json.contributions_json
    from banded
    left join reasons_pivoted on banded.lead_id = reasons_pivoted.lead_id
    left join contributions_json on banded.lead_id = contributions_json.lead_id
)


{%- else %}

{#- No model to render: the rule-based points give the score and the fired rules are the reasons. #}

scoring_rules as (
    select * from {{ ref('lead_scoring_rules') }}
),

rule_points as (
    {{ sql_scorer_rule_points(ref('int_open_leads_to_score'), 'open_leads') }}
),

lead_points as (
    select
        open_leads.lead_id,
        open_leads.as_of_date,
        cast(least(greatest({{ sql_scorer_rint('sum(rule_points.points)') }}, 1), 99) as {{ dbt.type_int() }}) as lead_score
    from open_leads
    inner join rule_points on open_leads.lead_id = rule_points.lead_id
    group by 1, 2
),

ranked as (
    select
        rule_points.lead_id,
        rule_points.points,
        scoring_rules.description as reason,
        row_number() over (partition by rule_points.lead_id order by rule_points.points desc, rule_points.rule_position asc)
            as up_rank,
        row_number() over (partition by rule_points.lead_id order by rule_points.points asc, rule_points.rule_position asc)
            as down_rank
    from rule_points
    inner join scoring_rules on rule_points.rule_id = scoring_rules.rule_id
),

reasons_pivoted as (
    select
        lead_id,
    {%- for direction in ['up', 'down'] %}
        {%- for rank in [1, 2, 3] %}
        max(case when {{ 'points > 0 and up_rank' if direction == 'up' else 'points < 0 and down_rank' }} = {{ rank }}
            then reason end) as reason_{{ direction }}_{{ rank }},
        {%- endfor %}
    {%- endfor %}
        count(*) as rule_count
    from ranked
    group by 1
),

final as (
    select
        lead_points.lead_id,
        lead_points.as_of_date,
        cast(null as {{ double }}) as conversion_probability,
        lead_points.lead_score,
        score_bands.band as priority_band,
        cast(score_bands.contact_sla_hours as {{ double }}) as contact_sla_hours,
        cast(null as {{ double }}) as expected_deal_size,
        cast(null as {{ double }}) as expected_deal_value,
        '{{ version }}' as model_version,
        'rule_based_fallback' as scoring_method,
        reasons_pivoted.reason_up_1,
        reasons_pivoted.reason_up_2,
        reasons_pivoted.reason_up_3,
        reasons_pivoted.reason_down_1,
        reasons_pivoted.reason_down_2,
        reasons_pivoted.reason_down_3,
        cast(null as {{ string }}) as contributions_json
    from lead_points
    left join score_bands
        on lead_points.lead_score between score_bands.min_score and score_bands.max_score
    left join reasons_pivoted on lead_points.lead_id = reasons_pivoted.lead_id
)

{%- endif %}

select * from final
