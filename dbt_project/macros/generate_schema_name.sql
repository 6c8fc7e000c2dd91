{#
    Schemas are named exactly as configured (staging, intermediate, marts, published,
    reference) instead of dbt's default <target schema>_<custom schema>: BI tools and
    analysts read stable names such as published.pub_health_index.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
