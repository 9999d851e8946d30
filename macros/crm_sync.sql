{% macro crm_field_names() %}
    {#-
        score column -> CRM field name, from the crm_field_mapping seed, so a HubSpot or Salesforce admin renames
        fields without touching SQL. Names are checked to be plain identifiers before they reach SQL.
    -#}
    {%- set mapping = {} -%}
    {%- if execute -%}
        {%- set rows = run_query("select score_column, crm_field from " ~ ref('crm_field_mapping')).rows -%}
        {%- for row in rows -%}
            {%- if not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', row[1] | string) -%}
                {{ exceptions.raise_compiler_error(
                    "crm_field_mapping: '" ~ row[1] ~ "' is not a plain field name") }}
            {%- endif -%}
            {%- do mapping.update({row[0]: row[1] | lower}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(mapping) }}
{% endmacro %}


{% macro crm_sync_columns(scores) %}
    {#- The synced columns of a lead_scores-shaped relation, named as CRM fields. -#}
    {%- set fields = crm_field_names() -%}
    {%- set reasons_up = [] -%}
    {%- set reasons_down = [] -%}
    {%- for rank in [1, 2, 3] -%}
        {%- do reasons_up.append("coalesce(" ~ scores ~ ".reason_up_" ~ rank ~ ", '')") -%}
        {%- do reasons_down.append("coalesce(" ~ scores ~ ".reason_down_" ~ rank ~ ", '')") -%}
        {%- if not loop.last -%}
            {%- do reasons_up.append("'; '") -%}{%- do reasons_down.append("'; '") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set expressions = {
        'lead_id': scores ~ '.lead_id',
        'lead_score': scores ~ '.lead_score',
        'priority_band': scores ~ '.priority_band',
        'contact_sla_hours': scores ~ '.contact_sla_hours',
        'conversion_probability': scores ~ '.conversion_probability',
        'expected_deal_value': scores ~ '.expected_deal_value',
        'top_reasons': dbt.concat(reasons_up),
        'top_concerns': dbt.concat(reasons_down),
        'model_version': scores ~ '.model_version',
        'scored_at': scores ~ '.scored_at',
    } -%}
    {%- for column, expression in expressions.items() %}
        {{ expression }} as {{ fields.get(column, column) }}{{ "," if not loop.last }}
    {%- endfor %}
{% endmacro %}
