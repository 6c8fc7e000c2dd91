-- Published: the four-level check's score per level (住房 · 小区(社区) · 街区 · 城区) and
-- overall (level_code 'overall', 总体), per area and check year (fct_level_score).
with

scores as (

    select * from {{ ref('fct_level_score') }}

),

levels as (

    select * from {{ ref('stg_reference__framework_sections') }}
    where section_kind = 'level'

),

areas as (

    select * from {{ ref('dim_area') }}

)

select
    scores.area_code,
    areas.area_name_zh,
    scores.area_level,
    areas.city_code,
    scores.period_year,
    scores.framework_code,
    scores.level_code,
    coalesce(levels.section_name_zh, '总体') as level_name_zh,
    scores.level_weight,
    scores.level_score,
    scores.indicators_scored,
    scores.indicators_expected,
    scores.indicators_missing,
    scores.indicators_incomplete,
    coalesce(levels.sort_order, 99) as level_sort_order,
    areas.sort_order

from scores
inner join areas
    on scores.area_code = areas.area_code
left join levels
    on scores.level_code = levels.level_code
    and scores.framework_code = levels.framework_code
