{#-
    The SQL scorer, first half: the champion's trees (or linear terms) rendered as SQL at compile time
    (macros/sql_scorer.sql). Per open lead: the leaf reached in every tree, the raw model probability and the
    expected deal size. A table of its own so the large generated expressions are planned once, apart from the
    reasons (int_lead_scores_computed_sql).
-#}
-- sqlfluff:indentation:template_blocks_indent:false
-- The macros write generated expressions (trees, curves, sentences) whose layout the linter cannot follow:
-- noqa: disable=LT02,LT05
-- depends_on: {{ ref('ml_champion_model') }}
-- depends_on: {{ ref('ml_model_parameters') }}
-- depends_on: {{ ref('ml_model_features') }}
-- depends_on: {{ ref('ml_model_category_levels') }}
-- depends_on: {{ ref('ml_model_tree_nodes') }}
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

{%- if rendered %}

encoded as (
    select
        lead_id,
        as_of_date,
    {%- for feature in features if conversion_trees %}
        {{ sql_scorer_encoded_feature(feature, scorer.levels.get('conversion.' ~ feature.name, [])) }}
            as conversion_{{ feature.index }},
    {%- endfor %}
    {%- for feature in deal_features %}
        {{ sql_scorer_encoded_feature(feature, scorer.levels.get('deal_size.' ~ feature.name, [])) }}
            as deal_size_{{ feature.index }},
    {%- endfor %}
    {%- for term in terms if algorithm == 'logistic' %}
        {{ sql_scorer_linear_term(term, '', scorer.kinds) }} as term_{{ term['term_index'] | int }},
    {%- endfor %}
        1 as row_marker
    from open_leads
),

tree_leaves as (
    select
        lead_id,
        as_of_date,
    {%- for nodes in conversion_trees %}
        {{ sql_scorer_tree_leaf(nodes, 0, 'conversion_') }} as conversion_leaf_{{ loop.index0 }},
    {%- endfor %}
    {%- for nodes in deal_trees %}
        {{ sql_scorer_tree_leaf(nodes, 0, 'deal_size_') }} as deal_size_leaf_{{ loop.index0 }},
    {%- endfor %}
    {%- for term in terms if algorithm == 'logistic' %}
        term_{{ term['term_index'] | int }},
    {%- endfor %}
        1 as row_marker
    from encoded
),

raw_scores as (
    select
        lead_id,
        as_of_date,
    {%- if algorithm == 'lightgbm' %}
        {#- LightGBM sums its trees in order, then applies the sigmoid. #}
        1.0 / (1.0 + exp(-(
        {%- for nodes in conversion_trees %}
            {{ '+ ' if not loop.first }}{{ sql_scorer_leaf_value(nodes, 'conversion_leaf_' ~ loop.index0) }}
        {%- endfor %}
        ))) as raw_probability,
    {%- elif algorithm == 'random_forest' %}
        {#- scikit-learn adds the trees' class fractions in order, then divides by their number. #}
        (
        {%- for nodes in conversion_trees %}
            {{ '+ ' if not loop.first }}{{ sql_scorer_leaf_value(nodes, 'conversion_leaf_' ~ loop.index0) }}
        {%- endfor %}
        ) / {{ conversion_trees | length }} as raw_probability,
    {%- else %}
        1.0 / (1.0 + exp(-((
        {%- for term in terms %}
            {{ '+ ' if not loop.first }}term_{{ term['term_index'] | int }}
        {%- endfor %}
        ) + {{ sql_scorer_double(parameters['conversion.intercept']) }}))) as raw_probability,
    {%- endif %}
    {%- if parameters.get('deal_size.kind') == 'lightgbm' %}
        exp(
        {%- for nodes in deal_trees %}
            {{ '+ ' if not loop.first }}{{ sql_scorer_leaf_value(nodes, 'deal_size_leaf_' ~ loop.index0) }}
        {%- endfor %}
        ) * {{ sql_scorer_double(parameters['deal_size.smearing_factor']) }} as expected_deal_size
    {%- elif parameters.get('deal_size.kind') == 'median' %}
        {{ sql_scorer_double(parameters['deal_size.median_amount']) }} as expected_deal_size
    {%- else %}
        cast(null as {{ double }}) as expected_deal_size
    {%- endif %}
    from tree_leaves
),

final as (
    select
        tree_leaves.*,
        raw_scores.raw_probability,
        raw_scores.expected_deal_size
    from tree_leaves
    inner join raw_scores on tree_leaves.lead_id = raw_scores.lead_id
)

{%- else %}

final as (
    select
        lead_id,
        as_of_date
    from open_leads
)

{%- endif %}

select * from final
