{% macro domain_from_url(url) %}
    {#-
        The bare host of a URL or domain, lower-cased: 'https://www.Acme.com:443/about?x=1' -> 'acme.com'.
        Null when the input is null or empty. Portable: dbt cross-database macros only.
    -#}
    {%- set without_scheme = dbt.replace(dbt.replace("lower(trim(" ~ url ~ "))", "'https://'", "''"), "'http://'", "''") -%}
    {%- set host = dbt.split_part(
        dbt.split_part(dbt.split_part(dbt.split_part(without_scheme, "'/'", 1), "'?'", 1), "'#'", 1), "':'", 1) -%}
    {#- A '^' sentinel (never part of a host) anchors the 'www.' strip to the start of the host. -#}
    nullif({{ dbt.replace(dbt.replace(dbt.concat(["'^'", host]), "'^www.'", "''"), "'^'", "''") }}, '')
{%- endmacro %}
