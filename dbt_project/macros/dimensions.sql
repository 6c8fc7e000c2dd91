{#
    The eight dimensions of the indicator system, in report order (ref_dimensions.csv).
    Wide models (fct_health_index, pub_health_index) get one score column per code:
    score_el … score_iv. The list is fixed by the plan; a test on fct_dimension_score
    (accepted_values) fails if the seed and this list ever disagree.
#}
{% macro dimension_codes() -%}
    {{ return(['EL', 'HC', 'SR', 'TR', 'TC', 'TO', 'DI', 'IV']) }}
{%- endmacro %}
