{#-
    The SQL scorer: the champion model rendered as portable SQL at compile time, from the tables the training run
    wrote (python_models/ml/ml_model_*.py, see src/leadscore/ml/model_tables.py). Every number of the model is
    written as cast('<text>' as double) so each engine parses it to the same double; arithmetic follows the Python
    reference step by step (LightGBM's split rules, numpy.interp, numpy.round's half-to-even) so both agree to the
    last few bits. docs/sql_scorer.md explains the whole pipeline.
-#}

{% macro sql_scorer_double(value) -%}
    cast('{{ value }}' as {{ type_double() }})
{%- endmacro %}


{% macro sql_scorer_text(value) -%}
    {{ dbt.string_literal(dbt.escape_single_quotes(value)) }}
{%- endmacro %}


{#- The champion and, when it is a model, every table the SQL needs, read at compile time. -#}
{% macro sql_scorer_champion() %}
    {%- set scorer = {'scoring_method': 'rule_based_fallback', 'model_version': 'rules', 'algorithm': none,
                      'renderable': false, 'parameters': {}, 'features': {}, 'levels': {}, 'trees': {},
                      'terms': {}, 'curves': {}, 'kinds': {}} -%}
    {%- if not execute -%}{{ return(scorer) }}{%- endif -%}
    {%- set champion = run_query('select model_version, scoring_method, algorithm from ' ~ ref('ml_champion_model')) -%}
    {%- if champion.rows | length == 0 -%}{{ return(scorer) }}{%- endif -%}
    {%- set row = champion.rows[0] -%}
    {%- do scorer.update({'model_version': row['model_version'], 'scoring_method': row['scoring_method'],
                          'algorithm': row['algorithm']}) -%}
    {%- if row['scoring_method'] != 'model' -%}{{ return(scorer) }}{%- endif -%}
    {%- set version = "where model_version = '" ~ row['model_version'] ~ "'" -%}

    {%- for item in run_query('select model_part, parameter_name, parameter_value, parameter_text from '
                              ~ ref('ml_model_parameters') ~ ' ' ~ version) -%}
        {%- do scorer.parameters.update({item['model_part'] ~ '.' ~ item['parameter_name']:
            item['parameter_text'] if item['parameter_text'] is not none else item['parameter_value']}) -%}
    {%- endfor -%}
    {%- for item in run_query('select model_part, feature_index, feature_name, feature_kind, encoding from '
                              ~ ref('ml_model_features') ~ ' ' ~ version ~ ' order by model_part, feature_index') -%}
        {%- do scorer.features.setdefault(item['model_part'], []).append({'index': item['feature_index'] | int,
            'name': item['feature_name'], 'kind': item['feature_kind'], 'encoding': item['encoding']}) -%}
        {%- do scorer.kinds.update({item['feature_name']: item['feature_kind']}) -%}
    {%- endfor -%}
    {%- for item in run_query('select model_part, feature_name, level_code, category_level from '
                              ~ ref('ml_model_category_levels') ~ ' ' ~ version
                              ~ ' order by model_part, feature_name, level_code') -%}
        {%- do scorer.levels.setdefault(item['model_part'] ~ '.' ~ item['feature_name'], []).append(item['category_level']) -%}
    {%- endfor -%}
    {%- set node_count = run_query('select count(*) as n from ' ~ ref('ml_model_tree_nodes') ~ ' ' ~ version).rows[0]['n'] | int -%}
    {%- if node_count > var('sql_scorer_max_tree_nodes', 250000) | int -%}
        {#- Too large to render (a forest of deep trees): the scorer falls back to the rule points, marked. -#}
        {{ log('SQL scorer: ' ~ node_count ~ ' tree nodes exceed var sql_scorer_max_tree_nodes; scoring with the rule-based points', info=true) }}
        {{ return(scorer) }}
    {%- endif -%}
    {%- for item in run_query('select model_part, tree_index, node_index, is_leaf, leaf_index, feature_index, decision_type,'
                              ~ ' threshold, category_codes, missing_type, default_left, compare_as_float32, left_child,'
                              ~ ' right_child, node_value from ' ~ ref('ml_model_tree_nodes') ~ ' ' ~ version
                              ~ ' order by model_part, tree_index, node_index') -%}
        {%- set trees = scorer.trees.setdefault(item['model_part'], []) -%}
        {%- if item['tree_index'] | int >= trees | length -%}{%- do trees.append([]) -%}{%- endif -%}
        {%- do trees[-1].append(item) -%}
    {%- endfor -%}
    {%- for item in run_query('select model_part, term_index, feature_name, term_kind, category_level, other_levels,'
                              ~ ' fill_value, mean, scale, coefficient from ' ~ ref('ml_model_linear_terms') ~ ' '
                              ~ version ~ ' order by model_part, term_index') -%}
        {%- do scorer.terms.setdefault(item['model_part'], []).append(item) -%}
    {%- endfor -%}
    {%- for item in run_query('select curve_name, knot_index, knot_x, knot_y from ' ~ ref('ml_model_curve_knots')
                              ~ ' ' ~ version ~ ' order by curve_name, knot_index') -%}
        {%- do scorer.curves.setdefault(item['curve_name'], []).append({'x': item['knot_x'], 'y': item['knot_y']}) -%}
    {%- endfor -%}
    {%- if var('sql_scorer_lint', false) -%}
        {#- Set only by .sqlfluff: the linter reads a short query of the same shape (two trees, three knots). -#}
        {%- for part in scorer.trees -%}{%- do scorer.trees.update({part: scorer.trees[part][:2]}) -%}{%- endfor -%}
        {%- for curve in scorer.curves -%}{%- do scorer.curves.update({curve: scorer.curves[curve][:3]}) -%}{%- endfor -%}
        {%- for part in scorer.terms -%}{%- do scorer.terms.update({part: scorer.terms[part][:3]}) -%}{%- endfor -%}
    {%- endif -%}
    {%- do scorer.update({'renderable': true}) -%}
    {{ return(scorer) }}
{% endmacro %}


{#-
    A numeric or boolean model input as a double. Custom fields (var lead_custom_fields) arrive as the CRM holds them,
    often text, and are read as Python's leadscore.ml.features.coerce_custom_column reads them: a number parsed from
    the trimmed text, a boolean from the same words (TRUE_TEXT / FALSE_TEXT there), anything else missing.
-#}
{% macro sql_scorer_number(column, feature_name, kind) -%}
    {%- set text = 'lower(trim(cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')))' -%}
    {%- if feature_name not in custom_lead_fields() -%}
        cast({{ column }} as {{ type_double() }})
    {%- elif kind == 'boolean' -%}
        case
            when {{ text }} in ('true', 't', 'yes', 'y', '1') then 1.0
            when {{ text }} in ('false', 'f', 'no', 'n', '0') then 0.0
        end
    {%- else -%}
        {{ safe_cast(text, 'double') }}
    {%- endif -%}
{%- endmacro %}


{#- A model input as the encoder computes it: the number as double, or the category's integer code. -#}
{% macro sql_scorer_encoded_feature(feature, levels, source='') -%}
    {%- if feature.encoding == 'category_code' -%}
        case coalesce(cast({{ source }}{{ feature.name }} as {{ dbt.type_string() }}), '__missing__')
        {%- for level in levels if level != '__other__' %} when {{ sql_scorer_text(level) }} then {{ loop.index0 }}{% endfor %}
            else {{ levels | length - 1 }}
        end
    {%- else -%}
        {{ sql_scorer_number(source ~ feature.name, feature.name, feature.kind) }}
    {%- endif -%}
{%- endmacro %}


{#- Does a row go left at this split? LightGBM's and scikit-learn's rules, missing values included. -#}
{% macro sql_scorer_goes_left(node, column) -%}
    {%- if node['decision_type'] == '==' -%}
        {{ column }} in ({{ node['category_codes'] }})
    {%- else -%}
        {%- set value = 'cast(' ~ column ~ ' as float)' if node['compare_as_float32'] else column -%}
        {%- set below = value ~ ' <= ' ~ sql_scorer_double(node['threshold']) -%}
        {%- if node['missing_type'] == 'NaN' -%}
            {%- if node['default_left'] -%}({{ column }} is null or {{ below }}){%- else -%}({{ column }} is not null and {{ below }}){%- endif -%}
        {%- elif node['missing_type'] == 'Zero' -%}
            {#- LightGBM: a missing value is zero, and |value| <= 1e-35 (kZeroThreshold, a float) takes the default side. -#}
            {%- set zero = '(' ~ column ~ ' is null or (' ~ column ~ ' >= -1.0000000180025095e-35 and ' ~ column ~ ' <= 1.0000000180025095e-35))' -%}
            {%- if node['default_left'] -%}({{ zero }} or {{ below }}){%- else -%}(not {{ zero }} and {{ below }}){%- endif -%}
        {%- else -%}
            coalesce({{ column }}, 0.0) <= {{ sql_scorer_double(node['threshold']) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The leaf (leaf_index) a row reaches in one tree, as nested case expressions. -#}
{% macro sql_scorer_tree_leaf(nodes, number, column_prefix) -%}
    {%- set node = nodes[number] -%}
    {%- if node['is_leaf'] -%}
        {{ node['leaf_index'] | int }}
    {%- else -%}
        case when {{ sql_scorer_goes_left(node, column_prefix ~ (node['feature_index'] | int)) }}
            then {{ sql_scorer_tree_leaf(nodes, node['left_child'] | int, column_prefix) }}
            else {{ sql_scorer_tree_leaf(nodes, node['right_child'] | int, column_prefix) }} end
    {%- endif -%}
{%- endmacro %}


{#- A tree's output for the leaf held in a column. -#}
{% macro sql_scorer_leaf_value(nodes, leaf_column) -%}
    case {{ leaf_column }}
    {%- for node in nodes if node['is_leaf'] %} when {{ node['leaf_index'] | int }} then {{ sql_scorer_double(node['node_value']) }}{% endfor %} end
{%- endmacro %}


{#- numpy.interp(x, knots.x, knots.y, left, right) for strictly increasing knots, the same arithmetic. -#}
{% macro sql_scorer_interp(x, knots, left=none, right=none) -%}
    {%- set last = knots | length - 1 -%}
    case
        when {{ x }} is null then null
        when {{ x }} < {{ sql_scorer_double(knots[0].x) }} then {{ sql_scorer_double(knots[0].y) if left is none else left }}
        when {{ x }} > {{ sql_scorer_double(knots[last].x) }} then {{ sql_scorer_double(knots[last].y) if right is none else right }}
        when {{ x }} = {{ sql_scorer_double(knots[last].x) }} then {{ sql_scorer_double(knots[last].y) }}
    {%- for j in range(last) %}
        when {{ x }} = {{ sql_scorer_double(knots[j].x) }} then {{ sql_scorer_double(knots[j].y) }}
        when {{ x }} < {{ sql_scorer_double(knots[j + 1].x) }} then
            ({{ sql_scorer_double(knots[j + 1].y) }} - {{ sql_scorer_double(knots[j].y) }})
            / ({{ sql_scorer_double(knots[j + 1].x) }} - {{ sql_scorer_double(knots[j].x) }})
            * ({{ x }} - {{ sql_scorer_double(knots[j].x) }}) + {{ sql_scorer_double(knots[j].y) }}
    {%- endfor %}
    end
{%- endmacro %}


{#- numpy.rint: round half to even, as a double (each engine's own half-even rounding where it has one). -#}
{% macro sql_scorer_rint(expression) -%}
    {{- return(adapter.dispatch('sql_scorer_rint', 'lead_scoring')(expression)) -}}
{%- endmacro %}

{% macro duckdb__sql_scorer_rint(expression) -%}
    round_even({{ expression }}, 0)
{%- endmacro %}

{% macro spark__sql_scorer_rint(expression) -%}
    bround({{ expression }}, 0)
{%- endmacro %}

{% macro default__sql_scorer_rint(expression) -%}
    case
        when {{ expression }} - cast(floor({{ expression }}) as {{ type_double() }}) > 0.5
            then cast(floor({{ expression }}) as {{ type_double() }}) + 1
        when {{ expression }} - cast(floor({{ expression }}) as {{ type_double() }}) < 0.5
            then cast(floor({{ expression }}) as {{ type_double() }})
        when mod(cast(floor({{ expression }}) as {{ type_double() }}), 2) = 0
            then cast(floor({{ expression }}) as {{ type_double() }})
        else cast(floor({{ expression }}) as {{ type_double() }}) + 1
    end
{%- endmacro %}


{#-
    A number as text the way leadscore.ml.explain.format_values writes it: rounded to `decimals` (numpy.round),
    whole numbers without decimals, others with as few decimals as they need. `rounded` must already hold
    numpy.round(value, decimals).
-#}
{% macro sql_scorer_number_text(rounded, decimals) -%}
    case
        when {{ rounded }} is null then null
        when {{ rounded }} = floor({{ rounded }}) then cast(cast({{ rounded }} as bigint) as {{ dbt.type_string() }})
    {%- for places in range(1, decimals) %}
        when {{ sql_scorer_rint(rounded ~ ' * ' ~ 10 ** places) }} / {{ 10 ** places }} = {{ rounded }}
            then cast(cast({{ rounded }} as decimal(38, {{ places }})) as {{ dbt.type_string() }})
    {%- endfor %}
        else cast(cast({{ rounded }} as decimal(38, {{ decimals }})) as {{ dbt.type_string() }})
    end
{%- endmacro %}


{#- One term of a linear model: coefficient * (encoded column - training mean) / training scale. -#}
{% macro sql_scorer_linear_term(term, source='', kinds={}) -%}
    {%- set column = source ~ term['feature_name'] -%}
    {%- set number = sql_scorer_number(column, term['feature_name'], kinds.get(term['feature_name'])) -%}
    {%- set category = 'coalesce(cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ "), '__missing__')" -%}
    {%- if term['term_kind'] == 'value' -%}
        {%- set encoded = 'coalesce(' ~ number ~ ', ' ~ sql_scorer_double(term['fill_value']) ~ ')' -%}
    {%- elif term['term_kind'] == 'missing_indicator' -%}
        {%- set encoded = 'case when ' ~ number ~ ' is null then 1.0 else 0.0 end' -%}
    {%- elif term['category_level'] == '__other__' -%}
        {%- set kept = [] -%}
        {%- for level in (term['other_levels'] or '').split('|') if level != '' -%}{%- do kept.append(sql_scorer_text(level)) -%}{%- endfor -%}
        {%- set encoded = ('case when ' ~ category ~ ' in (' ~ kept | join(', ') ~ ') then 0.0 else 1.0 end') if kept else '1.0' -%}
    {%- else -%}
        {%- set encoded = 'case when ' ~ category ~ ' = ' ~ sql_scorer_text(term['category_level']) ~ ' then 1.0 else 0.0 end' -%}
    {%- endif -%}
    ({{ encoded }} - {{ sql_scorer_double(term['mean']) }}) / {{ sql_scorer_double(term['scale']) }} * {{ sql_scorer_double(term['coefficient']) }}
{%- endmacro %}


{#- var scoring_engine, validated: 'python' or 'sql'. -#}
{% macro scoring_engine() -%}
    {%- set engine = var('scoring_engine', 'python') | string | lower | trim -%}
    {%- if engine not in ['python', 'sql'] -%}
        {{ exceptions.raise_compiler_error("var scoring_engine must be 'python' or 'sql', got '" ~ engine ~ "'") }}
    {%- endif -%}
    {{- return(engine) -}}
{%- endmacro %}


{#-
    The rule-based points of every rule of the lead_scoring_rules seed, as SQL: one select per rule giving each open
    lead's (capped) points, the rules' reading documented in seeds/_seeds.yml and leadscore.ml.rules. Column types
    come from the relation, so values are compared as text the way the Python reference normalizes them.
-#}
{% macro sql_scorer_rule_points(leads_relation, leads_cte) -%}
    {%- set types = {} -%}
    {%- for column in adapter.get_columns_in_relation(leads_relation) -%}
        {%- do types.update({column.name | lower: column.data_type | lower}) -%}
    {%- endfor -%}
    {%- set rules = run_query('select rule_id, feature_name, cast(match_value as ' ~ dbt.type_string() ~ ') as match_value,'
        ~ ' cast(min_value as ' ~ type_double() ~ ') as min_value, cast(max_value as ' ~ type_double() ~ ') as max_value,'
        ~ ' cast(points as ' ~ type_double() ~ ') as points, points_basis, cast(cap as ' ~ type_double() ~ ') as cap'
        ~ ' from ' ~ ref('lead_scoring_rules') ~ ' order by rule_id') -%}
    {%- for rule in rules %}
        {%- set column = leads_cte ~ '.' ~ rule['feature_name'] %}
        {%- set data_type = types.get(rule['feature_name'] | lower, '') %}
        {%- if 'bool' in data_type %}
            {%- set as_text = "case when " ~ column ~ " then 'true' when not " ~ column ~ " then 'false' end" %}
        {%- elif data_type.startswith(('double', 'float', 'real', 'decimal', 'numeric')) %}
            {%- set as_text = 'case when ' ~ column ~ ' = floor(' ~ column ~ ') then cast(cast(' ~ column ~ ' as bigint) as '
                ~ dbt.type_string() ~ ') else cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ') end' %}
        {%- else %}
            {%- set as_text = 'lower(trim(cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')))' %}
        {%- endif %}
        {%- set match_value = (rule['match_value'] or '') | trim | lower %}
        {%- if match_value != '' %}
            {%- set accepted = [] %}
            {%- for part in match_value.split('|') %}{%- do accepted.append(sql_scorer_text(part | trim)) %}{%- endfor %}
            {%- set fires = as_text ~ ' in (' ~ accepted | join(', ') ~ ')' %}
        {%- else %}
            {%- set conditions = [column ~ ' is not null'] %}
            {%- if rule['min_value'] is not none %}{%- do conditions.append(column ~ ' >= ' ~ sql_scorer_double(rule['min_value'])) %}{%- endif %}
            {%- if rule['max_value'] is not none %}{%- do conditions.append(column ~ ' <= ' ~ sql_scorer_double(rule['max_value'])) %}{%- endif %}
            {%- set fires = conditions | join(' and ') %}
        {%- endif %}
        {%- if (rule['points_basis'] or 'once') | trim | lower == 'per_unit' %}
            {%- set points = 'coalesce(cast(' ~ column ~ ' as ' ~ type_double() ~ '), 0.0) * ' ~ sql_scorer_double(rule['points']) %}
        {%- else %}
            {%- set points = sql_scorer_double(rule['points']) %}
        {%- endif %}
        {%- set earned = 'case when ' ~ fires ~ ' then ' ~ points ~ ' else 0.0 end' %}
        {%- if rule['cap'] is not none %}
            {%- set cap = sql_scorer_double(rule['cap'] | abs) %}
            {%- set earned = 'least(greatest(' ~ earned ~ ', -' ~ cap ~ '), ' ~ cap ~ ')' %}
        {%- endif %}
    select
        {{ leads_cte }}.lead_id,
        {{ loop.index0 }} as rule_position,
        {{ sql_scorer_text(rule['rule_id']) }} as rule_id,
        {{ earned }} as points
    from {{ leads_cte }}
    {{- '\n    union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#-
    Planner settings around the tree model (int_lead_scores_sql_leaves hooks). DuckDB's statistics propagation walks
    every branch of every generated case expression and takes most of the planning time of a large forest (about
    two thirds for 16,000 nodes); skipping it changes no result. Other engines need nothing.
-#}
{% macro sql_scorer_planner_settings(reset=false) -%}
    {{- return(adapter.dispatch('sql_scorer_planner_settings', 'lead_scoring')(reset)) -}}
{%- endmacro %}

{% macro default__sql_scorer_planner_settings(reset) -%}{%- endmacro %}

{% macro duckdb__sql_scorer_planner_settings(reset) -%}
    {%- if reset -%}reset disabled_optimizers{%- else -%}set disabled_optimizers = 'statistics_propagation'{%- endif -%}
{%- endmacro %}
