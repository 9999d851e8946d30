{% macro normalize_email(email) %}
    {#- The one form emails are joined on everywhere: trimmed and lower-cased, null when empty. -#}
    nullif(lower(trim({{ email }})), '')
{%- endmacro %}
