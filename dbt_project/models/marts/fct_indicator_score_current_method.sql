-- Every indicator value of the plan period's years scored under the current method: the
-- catalogue version (indicators in force, standards, zero points, weights) of the
-- trajectory's last year, min(var('plan_end'), var('check_year')), instead of each
-- year's own. The year's value is kept as it is; only the yardstick is the last year's,
-- so a change of these scores between two years is real change, not method change.
-- An indicator the current catalogue dropped is left out of every year; one it added
-- has no value in a year whose catalogue did not carry it and has no row there (it is
-- not a missing value of the area: the year never collected it).
{%- set baseline_year = plan_baseline_year() %}
{%- set method_year = [plan_end(), check_year()] | min %}
with

-- The year's values with the size they are scored per (scale_value, e.g. the resident
-- population, for a size-dependent indicator: step 2 of the index method).
indicator_values as (

    select
        area_code,
        area_level,
        period_year,
        indicator_code,
        value,
        scale_value
    from {{ ref('fct_indicator_value') }}
    where period_year between {{ baseline_year }} and {{ method_year }}

),

current_catalogue as (

    select
        indicator_code,
        dimension_code,
        spatial_level,
        direction,
        standard_value,
        target_low,
        target_high,
        score_zero_at,
        indicator_weight,
        score_per_variable,
        score_per_multiplier
    from {{ ref('stg_reference__indicators') }} as catalogue
    where {{ is_valid_in_year('catalogue', method_year) }}

),

evaluated as (

    select
        indicator_values.area_code,
        indicator_values.area_level,
        indicator_values.period_year,
        indicator_values.indicator_code,
        current_catalogue.dimension_code,
        current_catalogue.direction,
        current_catalogue.indicator_weight,
        -- the value on the current standard's scale (as fct_indicator_score.scored_value)
        {{ scored_value(
            'indicator_values.value', 'indicator_values.scale_value',
            'current_catalogue.score_per_variable', 'current_catalogue.score_per_multiplier'
        ) }} as value_to_score,
        current_catalogue.standard_value,
        current_catalogue.target_low,
        current_catalogue.target_high,
        current_catalogue.score_zero_at

    from indicator_values
    inner join current_catalogue
        on indicator_values.indicator_code = current_catalogue.indicator_code
    where current_catalogue.spatial_level = 'county'
        or indicator_values.area_level in ('city', 'province')

),

final as (

    select
        area_code,
        area_level,
        period_year,
        {{ method_year }} as method_year,
        indicator_code,
        dimension_code,
        direction,
        indicator_weight,
        value_to_score,
        standard_value,
        target_low,
        target_high,
        score_zero_at,
        {{ normalised_score(
            'direction', 'value_to_score', 'standard_value', 'score_zero_at',
            'target_low', 'target_high'
        ) }} as score

    from evaluated

)

select * from final
