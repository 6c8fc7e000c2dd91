{#
    Survey statistics. The method in words is the doc block assessment_method
    (models/marts/assessment_method.md, section Satisfaction).
#}

{#-
    The two-sided critical value of Student's t distribution, t_{1 − (1 − level)/2, ν},
    as a scalar subquery (a double), for ⌊ν⌋ degrees of freedom (rounded down: a
    slightly wider, never narrower, interval for a fractional ν such as Satterthwaite's).
      1 ≤ ⌊ν⌋ ≤ 200:  the value of ref_t_quantiles (scipy.stats.t.ppf);
      ⌊ν⌋ > 200:      the Cornish–Fisher expansion from the normal quantile z (the row
                       with a null degrees_of_freedom), Abramowitz & Stegun 26.7.5:
                       z + (z³ + z) / (4ν) + (5z⁵ + 16z³ + 3z) / (96ν²),
                       within 2·10⁻⁶ of the exact quantile for levels up to 0.99;
      ν < 1 or null:  null (no interval).
    A level without rows in ref_t_quantiles gives null (the data test
    assert_survey_confidence_level_has_t_quantiles catches it).
-#}
{% macro t_critical_value(degrees_of_freedom, confidence_level) -%}
    {%- set df = 'floor(' ~ degrees_of_freedom ~ ')' -%}
    {%- set z = 'max(t_quantiles.critical_value) filter (where t_quantiles.degrees_of_freedom is null)' -%}
    (
        select
            case
                when {{ df }} >= 1 and {{ df }} <= max(t_quantiles.degrees_of_freedom)
                    then max(t_quantiles.critical_value) filter (
                        where t_quantiles.degrees_of_freedom = {{ df }})
                when {{ df }} > max(t_quantiles.degrees_of_freedom)
                    then {{ z }}
                        + (power({{ z }}, 3) + {{ z }}) / (4.0 * {{ df }})
                        + (5.0 * power({{ z }}, 5) + 16.0 * power({{ z }}, 3) + 3.0 * {{ z }})
                            / (96.0 * power({{ df }}, 2))
            end
        from {{ ref('stg_reference__t_quantiles') }} as t_quantiles
        where t_quantiles.confidence_level = ({{ confidence_level }})
    )
{%- endmacro %}
