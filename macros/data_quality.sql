{#-
    Data quality of raw rows: which rows staging keeps, which it rejects and why, and how kept values are cleaned.
    A rejected row lands in int_source_rows_rejected (and a lead in stg_salesforce__leads_rejected) with its
    reason; a kept value that cannot be true (negative revenue, malformed email) becomes null. See
    docs/reliability.md.
-#}

{% macro screening_rules() %}
    {#-
        Per raw table: the key that identifies a row (default the id column), the name used for it in reasons,
        and the row time, the timestamp that places the row in time. A row whose key is missing, that repeats a
        key, that the source soft-deleted, or whose row time is missing or implausible is rejected.
        One dict read by the staging models, int_source_rows_rejected and the rejected_share_at_most tests, so
        they always agree.
    -#}
    {{ return({
        'salesforce.lead': {'row_time': 'created_date'},
        'salesforce.account': {},
        'salesforce.contact': {},
        'salesforce.opportunity': {},
        'salesforce.task': {'row_time': 'created_date'},
        'salesforce.campaign': {},
        'salesforce.campaign_member': {},
        'salesforce.lead_score_feedback': {'row_time': 'created_date'},
        'salesforce.lead_history': {'row_time': 'created_date'},
        'segment.pages': {'row_time': 'timestamp'},
        'segment.tracks': {'row_time': 'timestamp'},
        'segment.identifies': {'row_time': 'timestamp'},
        'marketing.email_events': {'row_time': 'occurred_at'},
        'product.trial_events': {'row_time': 'occurred_at'},
        'product.call_transcripts': {'row_time': 'started_at'},
        'signals.company_enrichment': {
            'key': [clean_domain('domain'), 'enriched_at'], 'key_name': 'domain', 'row_time': 'enriched_at'},
        'signals.intent_surge': {
            'key': [clean_domain('domain'), 'trim(topic)', 'week_start_date'], 'key_name': 'domain',
            'row_time': 'week_start_date'},
    }) }}
{% endmacro %}


{% macro screened_source(source_name, table_name, extra_columns=[]) %}
    {#-
        contract_source rows with two more columns: recency_rank (1 = the kept load of a key) and
        rejection_reason, null for the row staging keeps, else the first rule the row breaks:
        missing_<key>, duplicate_<key>_same_load (another row with the same key and load time: the kept one is
        picked by content hash, never by scan order), duplicate_<key>_older_load (a newer load is kept),
        deleted_in_source (the newest load is soft-deleted), missing_<row time>, <row time>_out_of_range.
    -#}
    {%- set rules = screening_rules()[source_name ~ '.' ~ table_name] -%}
    {%- set key = rules.get('key', ['id']) -%}
    {%- set key_name = rules.get('key_name', 'id') -%}
    {%- set row_time = rules.get('row_time') -%}
    {%- set node = contract_source_node(source_name, table_name) -%}
    {%- set keep_window = recency_window(source_name, table_name, partition_by=key | join(', ')) -%}
    select
        ranked.*,
        case
            when {{ key_is_missing(key[0]) }} then 'missing_{{ key_name }}'
            when
                ranked.recency_rank > 1
                and (
                    ranked._loaded_at = ranked.kept_loaded_at
                    or (ranked._loaded_at is null and ranked.kept_loaded_at is null)
                )
                then 'duplicate_{{ key_name }}_same_load'
            when ranked.recency_rank > 1 then 'duplicate_{{ key_name }}_older_load'
            {%- if 'is_deleted' in node.columns %}
            when coalesce(ranked.is_deleted, false) then 'deleted_in_source'
            {%- endif %}
            {%- if row_time %}
            when ranked.{{ adapter.quote(row_time) }} is null then 'missing_{{ row_time }}'
            when not {{ is_plausible_time('ranked.' ~ adapter.quote(row_time)) }} then '{{ row_time }}_out_of_range'
            {%- endif %}
        end as rejection_reason
    from (
        select
            contract_rows.*,
            row_number() over ({{ keep_window }}) as recency_rank,
            first_value(contract_rows._loaded_at) over ({{ keep_window }}) as kept_loaded_at
        from ({{ contract_source(source_name, table_name, extra_columns) }}) as contract_rows
    ) as ranked
{%- endmacro %}


{% macro key_is_missing(expression) %}
    {#- True when a key is null, empty or only spaces. -#}
    nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '') is null
{%- endmacro %}


{% macro rejected_source_rows(source_name, table_name) %}
    {#- The rows of one raw table that staging rejects, in the shape of int_source_rows_rejected. -#}
    {%- set rules = screening_rules()[source_name ~ '.' ~ table_name] -%}
    {%- set row_time = rules.get('row_time') -%}
    select
        '{{ source_name }}.{{ table_name }}' as source_table,
        cast({{ rules.get('key', ['id'])[0] }} as {{ dbt.type_string() }}) as row_key,
        rejection_reason,
        recency_rank = 1 as is_latest_load,
        {% if row_time -%}
            cast({{ adapter.quote(row_time) }} as {{ dbt.type_timestamp() }})
        {%- else -%}
            cast(null as {{ dbt.type_timestamp() }})
        {%- endif %} as row_time,
        _loaded_at as loaded_at
    from ({{ screened_source(source_name, table_name) }}) as screened
    where rejection_reason is not null
{%- endmacro %}


{% macro date_var(name, default=none) %}
    {#-
        A var holding a calendar date written YYYY-MM-DD, returned as that text (none when unset). Fails with a
        message naming the var for anything else, impossible dates such as 2026-02-30 included, so a value
        never reaches SQL unless it is a plain date.
    -#}
    {%- set raw = var(name, default) -%}
    {%- if raw is none or raw == '' -%}{{ return(none) }}{%- endif -%}
    {%- set text = raw | string -%}
    {%- set problem = "var " ~ name ~ " must be a calendar date written YYYY-MM-DD, got '" ~ text ~ "'" -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {%- set year, month, day = text[0:4] | int, text[5:7] | int, text[8:10] | int -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 -%}{{ exceptions.raise_compiler_error(problem) }}{%- endif -%}
    {%- set is_leap_year = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if is_leap_year else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if day > month_days[month - 1] -%}{{ exceptions.raise_compiler_error(problem) }}{%- endif -%}
    {{ return(text) }}
{% endmacro %}


{% macro is_plausible_time(expression) %}
    {#-
        True when a timestamp or date lies between var earliest_plausible_date and the build's start plus var
        future_tolerance_days: older CRM dates are placeholders (1900-01-01, 1970-01-01), later ones clock or
        typing errors. Either would move the scoring date or invent history.
    -#}
    {%- set earliest = date_var('earliest_plausible_date', '1990-01-01') -%}
    {%- set tolerance = positive_int_var('future_tolerance_days', 1) -%}
    {%- set latest = run_started_at + modules.datetime.timedelta(days=tolerance) -%}
    (
        cast({{ expression }} as {{ dbt.type_timestamp() }}) >= cast('{{ earliest }}' as {{ dbt.type_timestamp() }})
        and cast({{ expression }} as {{ dbt.type_timestamp() }})
        <= cast('{{ latest.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
    )
{%- endmacro %}


{% macro plausible_time(expression) %}
    {#- The timestamp or date when plausible (is_plausible_time), else null. -#}
    case when {{ is_plausible_time(expression) }} then {{ expression }} end
{%- endmacro %}


{% macro plausible_planned_date(expression) %}
    {#-
        A date that may lie ahead (a task's due date, a deal's expected close date, a campaign's start): null
        only when before var earliest_plausible_date.
    -#}
    case
        when {{ expression }} >= cast('{{ date_var('earliest_plausible_date', '1990-01-01') }}' as date)
            then {{ expression }}
    end
{%- endmacro %}


{% macro plausible_number(expression, min_value, max_value) %}
    {#- The number when it lies in [min_value, max_value], else null: a negative or absurd value is unknown. -#}
    case when {{ expression }} >= {{ min_value }} and {{ expression }} <= {{ max_value }} then {{ expression }} end
{%- endmacro %}


{% macro plausible_count_var(name, default) %}
    {#- A plausibility ceiling from a var: a positive number (scientific notation allowed), else a clear error. -#}
    {%- set text = var(name, default) | string -%}
    {%- if not modules.re.fullmatch('[0-9]+(\.[0-9]+)?([eE][+]?[0-9]+)?', text) or text | float <= 0 -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a positive number, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text | float | round | int) }}
{% endmacro %}


{% macro employee_count(expression) %}
    {#- An employee count from 1 to var max_plausible_employees, else null (0 is how CRMs write unknown). -#}
    {{ plausible_number(expression, 1, plausible_count_var('max_plausible_employees', 5000000)) }}
{%- endmacro %}


{% macro amount_usd(expression) %}
    {#- A revenue or deal amount from 0 to var max_plausible_amount_usd, else null. -#}
    {{ plausible_number(expression, 0, plausible_count_var('max_plausible_amount_usd', 1000000000000)) }}
{%- endmacro %}


{% macro clean_email(expression) %}
    {#-
        The normalized email (normalize_email) when it looks like one address (local@domain.tld, no spaces),
        else null: placeholders such as 'n/a' or 'none' would otherwise join unrelated people.
    -#}
    {%- set normalized = normalize_email(expression) -%}
    case
        when {{ matches_pattern(normalized, '[^@[:space:]]+@[^@/[:space:].]+([.][^@/[:space:].]+)+') }}
            then {{ normalized }}
    end
{%- endmacro %}


{% macro clean_domain(url) %}
    {#-
        The bare host of a URL (domain_from_url) when it looks like a domain (labels joined by dots, no spaces
        or slashes), else null: placeholder websites ('n/a', 'none', '-') would otherwise make one company of
        every lead that typed them.
    -#}
    {%- set domain = domain_from_url(url) -%}
    case when {{ matches_pattern(domain, '[^@/[:space:].]+([.][^@/[:space:].]+)+') }} then {{ domain }} end
{%- endmacro %}


{% macro matches_pattern(expression, pattern) %}
    {#- True when the whole text matches the regular expression pattern (POSIX classes only, for portability). -#}
    {{ adapter.dispatch('matches_pattern', 'lead_scoring')(expression, pattern) }}
{%- endmacro %}

{% macro default__matches_pattern(expression, pattern) -%}
    regexp_like({{ expression }}, '^{{ pattern }}$')
{%- endmacro %}

{% macro duckdb__matches_pattern(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__matches_pattern(expression, pattern) -%}
    regexp_like({{ expression }}, '^{{ java_regex(pattern) }}$')
{%- endmacro %}


{% macro java_regex(pattern) %}
    {#-
        A POSIX-class regular expression for Spark, written inside a Spark SQL string literal: Java's regex reads
        '[:space:]' inside brackets as the letters of 'space', so POSIX classes become \p{...} (same characters).
    -#}
    {{- return(pattern | replace('[:space:]', '\\\\p{Space}') | replace('[:cntrl:]', '\\\\p{Cntrl}')) -}}
{% endmacro %}


{% macro clean_text(expression, max_length) %}
    {#-
        Free text made safe to store and match: control characters (NUL, tabs, line breaks) and runs of spaces
        become one space, the ends are trimmed, the text is cut at max_length characters; empty becomes null.
    -#}
    {{ adapter.dispatch('clean_text', 'lead_scoring')(expression, max_length) }}
{%- endmacro %}

{% macro default__clean_text(expression, max_length) -%}
    nullif(left(trim(regexp_replace({{ expression }}, '[[:cntrl:][:space:]]+', ' ')), {{ max_length }}), '')
{%- endmacro %}

{% macro spark__clean_text(expression, max_length) -%}
    nullif(left(trim(regexp_replace({{ expression }}, '{{ java_regex("[[:cntrl:][:space:]]+") }}', ' ')), {{ max_length }}), '')
{%- endmacro %}

{% macro duckdb__clean_text(expression, max_length) -%}
    nullif(left(trim(regexp_replace({{ expression }}, '[[:cntrl:]\s]+', ' ', 'g')), {{ max_length }}), '')
{%- endmacro %}


{% macro canonical_value(expression, values) %}
    {#-
        A picklist value in its canonical spelling when it matches one of values ignoring case and surrounding
        spaces ('  converted' -> 'Converted'); other values trimmed as they are. Values are quoted and escaped.
    -#}
    case lower(trim({{ expression }}))
        {%- for value in values | unique %}
        when '{{ value | string | lower | replace("'", "''") }}' then '{{ value | string | replace("'", "''") }}'
        {%- endfor %}
        else nullif(trim({{ expression }}), '')
    end
{%- endmacro %}
