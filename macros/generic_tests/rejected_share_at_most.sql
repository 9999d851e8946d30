{% test rejected_share_at_most(model, column_name, source_table, check, max_share=none) %}
    {#-
        Fails when too many raw rows of source_table break one screening rule (screened_source): check 'key'
        (rows without a key) or 'row_time' (rows without a plausible row time). The limit is max_share, else var
        max_rejected_row_share, of all the table's raw rows. A broken export (a renamed column, a new date
        format) must stop the build rather than quietly drop most of the data: defined on the staging model, the
        test skips everything downstream of it. Returns one row naming the raw table, its column, the rule and
        the counts. Reads the raw table directly (no ranking), so it is one cheap scan.
    -#}
    {%- set source_name, table_name = source_table.split('.') -%}
    {%- set rules = screening_rules()[source_table] -%}
    {%- set key = rules.get('key', ['id'])[0] -%}
    {%- if check == 'key' -%}
        {%- set raw_column = rules.get('key_name', 'id') -%}
        {%- set broken = key_is_missing(key) -%}
        {%- set rule = 'a key' -%}
    {%- else -%}
        {%- set raw_column = rules['row_time'] -%}
        {%- set quoted = adapter.quote(raw_column) -%}
        {%- set broken = '(' ~ quoted ~ ' is null or not ' ~ is_plausible_time(quoted) ~ ')' -%}
        {%- set rule = 'a plausible ' ~ raw_column -%}
    {%- endif -%}
    {%- set limit = (max_share if max_share is not none else var('max_rejected_row_share', 0.05)) | string -%}
    {%- if not modules.re.fullmatch('[0-9]*[.]?[0-9]+', limit) or limit | float > 1 -%}
        {{ exceptions.raise_compiler_error(
            "var max_rejected_row_share must be a share between 0 and 1, got '" ~ limit ~ "'") }}
    {%- endif %}

    with

    raw_rows as (
        {{ contract_source(source_name, table_name) }}
    ),

    counts as (
        select
            count(*) as raw_rows,
            coalesce(sum(case when {{ broken }} then 1 else 0 end), 0) as rejected_rows
        from raw_rows
    ),

    final as (
        select
            '{{ source_table }}' as source_table,
            '{{ raw_column }}' as source_column,
            '{{ model.identifier }}.{{ column_name }}' as staging_column,
            'at most {{ limit }} of raw rows without {{ rule }}' as rule,
            rejected_rows,
            raw_rows
        from counts
    )

    select * from final
    where rejected_rows > {{ limit }} * raw_rows
{% endtest %}
