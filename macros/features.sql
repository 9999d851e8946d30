{% macro scoring_as_of_date() %}
    {#-
        The run's as-of date as a SQL date literal, or none when the var is unset (then int_run_dates
        derives it from the data). Validated (date_var) so a malformed value fails with a clear message and
        never reaches SQL unquoted.
    -#}
    {%- set text = date_var('as_of_date') -%}
    {%- if text is none -%}{{ return(none) }}{%- endif -%}
    {{ return("cast('" ~ text ~ "' as date)") }}
{% endmacro %}


{% macro positive_int_var(name, default) %}
    {#- A var that must be a positive whole number (days, counts); fails with a clear message otherwise. -#}
    {%- set raw = var(name, default) -%}
    {%- set text = raw | string -%}
    {%- if not modules.re.fullmatch('[0-9]+', text) or text | int <= 0 -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a positive whole number, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text | int) }}
{% endmacro %}


{% macro activity_windows() %}
    {#- The look-back windows (days) used by behavioural features, from var activity_windows_days. -#}
    {%- set windows = [] -%}
    {%- for window in var('activity_windows_days', [7, 30, 90]) -%}
        {%- set text = window | string -%}
        {%- if not modules.re.fullmatch('[0-9]+', text) or text | int <= 0 -%}
            {{ exceptions.raise_compiler_error("var activity_windows_days must list positive whole numbers") }}
        {%- endif -%}
        {%- do windows.append(text | int) -%}
    {%- endfor -%}
    {{ return(windows) }}
{% endmacro %}


{% macro date_add_days(date_expression, days) %}
    {#- A date shifted by a number of days, returned as a date on every adapter. -#}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}


{% macro days_between(start_date, end_date) %}
    {#- Whole days from start_date to end_date, a bigint on every adapter (Spark's datediff returns an int). -#}
    cast({{ dbt.datediff(start_date, end_date, 'day') }} as {{ dbt.type_bigint() }})
{%- endmacro %}


{% macro in_window(event_date, as_of_date, window_days) %}
    {#- True when an event dated event_date falls in the window_days before as_of_date (as_of itself excluded). -#}
    ({{ event_date }} < {{ as_of_date }} and {{ event_date }} >= {{ date_add_days(as_of_date, -window_days) }})
{%- endmacro %}


{% macro windowed_sum(value, event_date, as_of_date, window_days) %}
    {#- Sum of value over the window_days before as_of_date. -#}
    sum(case when {{ in_window(event_date, as_of_date, window_days) }} then {{ value }} else 0 end)
{%- endmacro %}


{% macro decay_weight(age_days) %}
    {#- Exponential decay weight with half-life var engagement_half_life_days: 1 today, 0.5 one half-life ago. -#}
    power(0.5, cast({{ age_days }} as {{ type_double() }}) / {{ positive_int_var('engagement_half_life_days', 14) }})
{%- endmacro %}


{% macro safe_divide(numerator, denominator) %}
    {#- Division that returns null instead of failing when the denominator is zero or null. -#}
    (cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}


{% macro title_words(expression) %}
    {#- Lower-case words of a free-text title padded with spaces, so rules match whole words (' cto ' not 'director'). -#}
    {{ adapter.dispatch('title_words', 'lead_scoring')(expression) }}
{%- endmacro %}

{% macro default__title_words(expression) -%}
    concat(' ', trim(regexp_replace(lower(coalesce({{ expression }}, '')), '[^a-z0-9]+', ' ')), ' ')
{%- endmacro %}

{% macro duckdb__title_words(expression) -%}
    concat(' ', trim(regexp_replace(lower(coalesce({{ expression }}, '')), '[^a-z0-9]+', ' ', 'g')), ' ')
{%- endmacro %}


{% macro activity_measures() %}
    {#-
        The countable lead activities: measure name -> (activity_source, activity types). One list, read by the
        daily pivot, the windowed behavioural features and the feature catalog test, so a new activity is one line.
    -#}
    {{ return([
        {'name': 'page_views', 'source': 'web_page', 'types': none},
        {'name': 'pricing_page_views', 'source': 'web_page', 'types': ['pricing']},
        {'name': 'docs_page_views', 'source': 'web_page', 'types': ['docs']},
        {'name': 'case_study_page_views', 'source': 'web_page', 'types': ['case_study']},
        {'name': 'content_downloads', 'source': 'web_track', 'types': ['content_downloaded']},
        {'name': 'demo_requests', 'source': 'web_track', 'types': ['demo_requested']},
        {'name': 'email_opens', 'source': 'email', 'types': ['open']},
        {'name': 'email_clicks', 'source': 'email', 'types': ['click']},
        {'name': 'email_unsubscribes', 'source': 'email', 'types': ['unsubscribe']},
        {'name': 'webinar_attendances', 'source': 'campaign', 'types': ['webinar']},
        {'name': 'campaign_responses', 'source': 'campaign', 'types': none},
        {'name': 'trial_events', 'source': 'trial', 'types': none},
        {'name': 'trial_signups', 'source': 'trial', 'types': ['signup']},
        {'name': 'sales_touches', 'source': 'task', 'types': none},
    ]) }}
{% endmacro %}


{% macro engagement_sources() %}
    {#- Activity sources that are the lead's own actions (sales touches and calls are not engagement). -#}
    {{ return(['web_page', 'web_track', 'email', 'trial', 'campaign']) }}
{% endmacro %}


{% macro string_list(values) %}
    {#- A quoted, escaped SQL list of strings from a list var, so var values never reach SQL unquoted. -#}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append(string_literal(value)) -%}
    {%- endfor -%}
    {{ return('(' ~ (quoted | join(', ') if quoted else 'null') ~ ')') }}
{% endmacro %}


{% macro string_literal(value) %}
    {#- A text as a quoted SQL string literal. Spark escapes with backslashes (there '' ends one literal). -#}
    {{- return(adapter.dispatch('string_literal', 'lead_scoring')(value | string)) -}}
{% endmacro %}

{% macro default__string_literal(text) %}{{ return("'" ~ text | replace("'", "''") ~ "'") }}{% endmacro %}

{% macro spark__string_literal(text) %}
    {{- return("'" ~ text | replace('\\', '\\\\') | replace("'", "\\'") ~ "'") -}}
{% endmacro %}


{% macro behavioral_feature_names() %}
    {#- Names of the windowed activity counts: <measure>_<window>d for every measure and window. -#}
    {%- set names = [] -%}
    {%- for measure in activity_measures() -%}
        {%- for window_days in activity_windows() -%}
            {%- do names.append(measure.name ~ '_' ~ window_days ~ 'd') -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}


{% macro conversation_topics() %}
    {#- Topics the conversation keyword rules tag; each becomes a mention-count feature. -#}
    {{ return(['pain_point', 'budget', 'timeline', 'competitor']) }}
{% endmacro %}


{% macro custom_lead_fields() %}
    {#- The custom lead columns listed in var lead_custom_fields, checked to be plain column names. -#}
    {%- set fields = [] -%}
    {%- for field in var('lead_custom_fields', []) -%}
        {%- if not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', field | string) -%}
            {{ exceptions.raise_compiler_error("var lead_custom_fields: '" ~ field ~ "' is not a plain column name") }}
        {%- endif -%}
        {%- do fields.append(field | string | lower) -%}
    {%- endfor -%}
    {{ return(fields) }}
{% endmacro %}


{% macro feature_columns(relation, exclude=['lead_id', 'as_of_date']) %}
    {#- The feature columns of a family mart (every column but the snapshot keys), read from the warehouse. -#}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name | lower not in exclude -%}{%- do names.append(column.name | lower) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names) }}
{% endmacro %}


{% macro score_fingerprint(columns) %}
    {#- A hash of the synced score fields: a lead's row changes exactly when this does. -#}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{% macro synced_score_columns() %}
    {#- The lead_scores columns whose change makes a lead's row go to the CRM again. -#}
    {{ return(['lead_score', 'priority_band', 'contact_sla_hours', 'reason_up_1', 'reason_up_2', 'reason_up_3',
               'reason_down_1', 'reason_down_2', 'reason_down_3', 'model_version', 'scoring_method']) }}
{% endmacro %}


{% macro overwritten_source_timing(source_name) %}
    {#-
        How features use a source that overwrites its rows in place (var overwritten_source_timing): 'current'
        (today's value on every snapshot, as scoring sees it) or 'point_in_time' (a value counts only on
        snapshots after the row's stamp).
    -#}
    {%- set timing = var('overwritten_source_timing', {}).get(source_name, 'current') -%}
    {%- if timing not in ['current', 'point_in_time'] -%}
        {{ exceptions.raise_compiler_error(
            "var overwritten_source_timing: " ~ source_name ~ " must be current or point_in_time, got '"
            ~ timing ~ "'") }}
    {%- endif -%}
    {{ return(timing) }}
{% endmacro %}


{% macro lead_field_at_snapshot(expression, snapshot_date='snapshots.as_of_date', modified_at='leads.last_modified_at') %}
    {#-
        A CRM lead field as a snapshot may use it: today's value under overwritten_source_timing lead: current;
        under point_in_time, only when the row last changed before the snapshot (else null: the value seen then
        is unknown).
    -#}
    {%- if overwritten_source_timing('lead') == 'point_in_time' -%}
        case when {{ modified_at }} < cast({{ snapshot_date }} as {{ dbt.type_timestamp() }}) then {{ expression }} end
    {%- else -%}
        {{ expression }}
    {%- endif -%}
{% endmacro %}
