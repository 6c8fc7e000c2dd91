-- Evaluation (评价) of each indicator value against the catalogue's standard: attained
-- or not, signed distance to the standard and a 0–100 score (macro normalised_score;
-- the method is the doc block index_method). What is compared with the standard is the
-- scored_value: the value itself, or for a size-dependent indicator (a count, catalogue
-- score_per_variable set) the value per that variable of the same area and year, e.g.
-- events per million residents, so that a city is judged on the scale of its counties. Indicators with spatial_level = city are
-- evaluated for cities and the province only. A missing value keeps its row with null
-- score, so the health index can report its coverage.
with

indicator_values as (

    select * from {{ ref('fct_indicator_value') }}

),

indicator_years as (

    select * from {{ ref('int_indicators__by_year') }}

),

evaluated as (

    select
        indicator_values.area_code,
        indicator_values.area_level,
        indicator_values.period_year,
        indicator_values.indicator_code,
        indicator_years.dimension_code,
        indicator_years.direction,
        indicator_years.indicator_weight,
        indicator_values.value,
        {{ scored_value(
            'indicator_values.value', 'indicator_values.scale_value',
            'indicator_years.score_per_variable', 'indicator_years.score_per_multiplier'
        ) }} as scored_value,
        indicator_years.score_unit_zh,
        indicator_years.standard_value,
        indicator_years.target_low,
        indicator_years.target_high,
        indicator_years.score_zero_at,
        indicator_values.is_complete

    from indicator_values
    inner join indicator_years
        on indicator_values.indicator_code = indicator_years.indicator_code
        and indicator_values.period_year = indicator_years.period_year
    where indicator_years.spatial_level = 'county'
        or indicator_values.area_level in ('city', 'province')

),

final as (

    select
        area_code,
        area_level,
        period_year,
        indicator_code,
        dimension_code,
        direction,
        indicator_weight,
        value,
        scored_value,
        score_unit_zh,
        standard_value,
        target_low,
        target_high,
        score_zero_at,
        {{ is_attained('direction', 'scored_value', 'standard_value', 'target_low', 'target_high') }}
            as is_attained,
        {{ distance_to_standard(
            'direction', 'scored_value', 'standard_value', 'target_low', 'target_high'
        ) }} as distance_to_standard,
        {{ normalised_score(
            'direction', 'scored_value', 'standard_value', 'score_zero_at', 'target_low', 'target_high'
        ) }} as score,
        is_complete

    from evaluated

)

select * from final
