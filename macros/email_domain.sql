{% macro email_domain(email) %}
    {#- The domain part of an email address, lower-cased: ' Ann@Acme.COM ' -> 'acme.com'. Null when there is none. -#}
    nullif({{ dbt.split_part("lower(trim(" ~ email ~ "))", "'@'", 2) }}, '')
{%- endmacro %}
