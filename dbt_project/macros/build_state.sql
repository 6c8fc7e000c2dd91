{#- The first thing every dbt command that may change the warehouse does (on-run-start in
    dbt_project.yml): forget the platform's record that the warehouse is exactly what a
    build with the recorded vars makes (record "whole", cityhealth/warehouse/dbt_state.py).
    The platform records it again when the last layer of its own build has succeeded, so a
    build by hand (other vars, a selection) can never leave a record that would make the
    next scheduled run leave dbt out. -#}
{% macro forget_whole_build_record() %}
    {%- if execute -%}
        {%- set fingerprints = adapter.get_relation(
            database=target.database, schema='dbt_state', identifier='fingerprints') -%}
        {%- if fingerprints is not none -%}
            {#- run and committed here: dbt rolls back what a hook leaves open -#}
            {%- do run_query("delete from " ~ fingerprints ~ " where what = 'whole'") -%}
            {%- do adapter.commit() -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
