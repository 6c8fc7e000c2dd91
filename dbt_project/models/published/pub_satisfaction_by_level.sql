-- Published: resident satisfaction per area, year and level of the four-level check
-- (2024 on; ALL = over every level question) with sample size and confidence interval
-- (Student's t) (fct_satisfaction_by_level), labelled with the levels' Chinese names
-- (ref_framework_sections) for BI tools.
with

satisfaction as (

    select * from {{ ref('fct_satisfaction_by_level') }}

),

areas as (

    select
        area_code,
        area_name_zh,
        city_code,
        sort_order
    from {{ ref('dim_area') }}

),

levels as (

    select
        level_code,
        section_name_zh as level_name_zh,
        sort_order as level_sort_order,
        check_year_from,
        check_year_to
    from {{ ref('stg_reference__framework_sections') }}
    where section_kind = 'level'

),

final as (

    select
        satisfaction.area_code,
        areas.area_name_zh,
        satisfaction.area_level,
        areas.city_code,
        satisfaction.period_year,
        satisfaction.level_code,
        case
            when satisfaction.is_overall then '总体满意度（四个层级）'
            else levels.level_name_zh
        end as level_name_zh,
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
        coalesce(levels.level_sort_order, 0) as level_sort_order,
        areas.sort_order

    from satisfaction
    inner join areas
        on satisfaction.area_code = areas.area_code
    left join levels
        on satisfaction.level_code = levels.level_code
        and satisfaction.period_year >= levels.check_year_from
        and satisfaction.period_year <= coalesce(levels.check_year_to, satisfaction.period_year)

)

select * from final
