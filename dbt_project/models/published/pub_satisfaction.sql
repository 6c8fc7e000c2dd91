-- Published: resident satisfaction per area, year and dimension (ALL = overall) with
-- sample size, confidence interval (Student's t) and what became of the answer sheets
-- received (repeat submissions removed, respondents screened out by reason)
-- (fct_satisfaction), labelled for BI tools.
with

satisfaction as (

    select * from {{ ref('fct_satisfaction') }}

),

areas as (

    select
        area_code,
        area_name_zh,
        city_code,
        sort_order
    from {{ ref('dim_area') }}

),

dimensions as (

    select
        dimension_code,
        dimension_name_zh
    from {{ ref('stg_reference__dimensions') }}

),

final as (

    select
        satisfaction.area_code,
        areas.area_name_zh,
        satisfaction.area_level,
        areas.city_code,
        satisfaction.period_year,
        satisfaction.dimension_code,
        case
            when satisfaction.is_overall then '总体满意度'
            else dimensions.dimension_name_zh
        end as dimension_name_zh,
        satisfaction.is_overall,
        satisfaction.respondents,
        satisfaction.satisfaction_score,
        satisfaction.ci_low,
        satisfaction.ci_high,
        satisfaction.confidence_level,
        satisfaction.standard_error,
        satisfaction.degrees_of_freedom,
        satisfaction.critical_value,
        satisfaction.mean_answer,
        satisfaction.counties_surveyed,
        satisfaction.counties_expected,
        satisfaction.answer_sheets_received,
        satisfaction.repeat_submissions_removed,
        satisfaction.respondents_received,
        satisfaction.respondents_screened_too_fast,
        satisfaction.respondents_screened_straight_lining,
        satisfaction.respondents_screened_no_answer,
        satisfaction.respondents_screened_out,
        satisfaction.share_screened_out,
        areas.sort_order

    from satisfaction
    inner join areas
        on satisfaction.area_code = areas.area_code
    left join dimensions
        on satisfaction.dimension_code = dimensions.dimension_code

)

select * from final
