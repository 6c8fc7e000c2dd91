{#
    Versioned reference rows (an indicator's catalogue version, a weight set) apply to
    the years from valid-from to valid-to, an empty valid-to meaning "still valid".
    Written once here; see macros/versions.yml.
#}

{% macro is_valid_in_year(alias, year, valid_from='check_year_from', valid_to='check_year_to') -%}
    (
        ({{ year }}) >= {{ alias }}.{{ valid_from }}
        and ({{ alias }}.{{ valid_to }} is null or ({{ year }}) <= {{ alias }}.{{ valid_to }})
    )
{%- endmacro %}
