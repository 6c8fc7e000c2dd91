-- Published: the five-year assessment of the plan period per area and indicator
-- (fct_five_year_assessment), labelled for BI tools and the plan-period release.
with

assessment as (

    select * from {{ ref('fct_five_year_assessment') }}

),

areas as (

    select
        area_code,
        area_name_zh,
        city_code
    from {{ ref('dim_area') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

final as (

    select
        assessment.area_code,
        areas.area_name_zh,
        assessment.area_level,
        areas.city_code,
        assessment.indicator_code,
        indicators.indicator_name_zh,
        assessment.dimension_code,
        indicators.unit_zh,
        assessment.direction,
        assessment.plan_start,
        assessment.plan_end,
        assessment.baseline_year,
        assessment.is_period_closed,
        assessment.start_year,
        assessment.end_year,
        assessment.start_value,
        assessment.end_value,
        assessment.change_abs,
        assessment.avg_annual_change,
        assessment.avg_annual_change_pct,
        assessment.is_improved,
        assessment.start_score,
        assessment.end_score,
        assessment.start_score_current_method,
        assessment.end_score_current_method,
        assessment.score_change_current_method,
        assessment.start_attained,
        assessment.end_attained,
        assessment.end_standard_value,
        assessment.end_target_low,
        assessment.end_target_high,
        assessment.assessment_status

    from assessment
    inner join areas
        on assessment.area_code = areas.area_code
    left join indicators
        on assessment.indicator_code = indicators.indicator_code
        and {{ is_valid_in_year('indicators', 'coalesce(assessment.end_year, assessment.plan_end)') }}

)

select * from final
