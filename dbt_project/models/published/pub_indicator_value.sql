-- Published: every evaluated indicator value per area and year with its standard,
-- attainment and score, labelled for BI tools (stable columns), with its source and
-- quality flags.
with

indicator_scores as (

    select * from {{ ref('fct_indicator_score') }}

),

indicator_values as (

    select
        area_code,
        period_year,
        indicator_code,
        counties_reported,
        counties_expected,
        source,
        quality_flags,
        null_reason
    from {{ ref('fct_indicator_value') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

areas as (

    select
        area_code,
        area_name_zh
    from {{ ref('dim_area') }}

),

final as (

    select
        indicator_scores.area_code,
        areas.area_name_zh,
        indicator_scores.area_level,
        indicator_scores.period_year,
        indicator_scores.indicator_code,
        indicators.indicator_name_zh,
        indicators.indicator_name_en,
        indicator_scores.dimension_code,
        indicators.unit_zh,
        indicator_scores.direction,
        indicator_scores.value,
        indicator_scores.scored_value,
        indicator_scores.score_unit_zh,
        indicator_scores.standard_value,
        indicator_scores.target_low,
        indicator_scores.target_high,
        indicator_scores.is_attained,
        indicator_scores.distance_to_standard,
        indicator_scores.score,
        indicator_values.counties_reported,
        indicator_values.counties_expected,
        indicator_scores.is_complete,
        indicator_values.source,
        indicator_values.quality_flags,
        indicator_values.null_reason

    from indicator_scores
    inner join areas
        on indicator_scores.area_code = areas.area_code
    inner join indicator_values
        on indicator_scores.area_code = indicator_values.area_code
        and indicator_scores.period_year = indicator_values.period_year
        and indicator_scores.indicator_code = indicator_values.indicator_code
    inner join indicators
        on indicator_scores.indicator_code = indicators.indicator_code
        and {{ is_valid_in_year('indicators', 'indicator_scores.period_year') }}

)

select * from final
