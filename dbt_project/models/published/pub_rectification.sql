-- Published: rectification of the four-level check's problems (整改率) per level (and
-- all levels, level_code 'all'), area and check year the problems were found in
-- (fct_rectification), with Chinese labels.
with

rates as (

    select * from {{ ref('fct_rectification') }}

),

levels as (

    select * from {{ ref('stg_reference__framework_sections') }}
    where section_kind = 'level'

),

areas as (

    select * from {{ ref('dim_area') }}

)

select
    rates.area_code,
    areas.area_name_zh,
    rates.area_level,
    areas.city_code,
    rates.period_year,
    rates.level_code,
    coalesce(levels.section_name_zh, '全部层级') as level_name_zh,
    rates.problems_found,
    rates.problems_rectified,
    rates.problems_in_progress,
    rates.problems_listed,
    rates.problems_untreated,
    rates.problems_with_project,
    rates.rectification_rate_pct,
    rates.recheck_passed,
    rates.recheck_failed,
    rates.recheck_pass_rate_pct,
    rates.counties_expected,
    rates.counties_reported,
    rates.is_complete,
    rates.null_reason,
    areas.sort_order

from rates
inner join areas
    on rates.area_code = areas.area_code
left join levels
    on rates.level_code = levels.level_code
