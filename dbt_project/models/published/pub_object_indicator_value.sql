-- Published: the four-level check's object indicators (2024 on), one row per indicator,
-- area and check year: the value computed from the objects, the scored value per its
-- size, the score and the coverage (fct_object_indicator_score), with Chinese labels.
with

scores as (

    select * from {{ ref('fct_object_indicator_score') }}

),

catalogue as (

    select * from {{ ref('stg_reference__object_indicators') }}

),

sections as (

    select * from {{ ref('stg_reference__framework_sections') }}

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
    levels.section_name_zh as level_name_zh,
    scores.section_code,
    sub_areas.section_name_zh as section_name_zh,
    scores.indicator_code,
    catalogue.indicator_name_zh,
    catalogue.computation,
    scores.value,
    catalogue.unit_zh,
    scores.objects_surveyed,
    scores.objects_with_finding,
    scores.size_value,
    scores.scored_value,
    scores.score_unit_zh,
    scores.direction,
    scores.standard_value,
    scores.score_zero_at,
    scores.is_attained,
    scores.distance_to_standard,
    scores.score,
    scores.warning_level,
    scores.counties_expected,
    scores.counties_reported,
    scores.is_complete,
    scores.null_reason,
    catalogue.is_confirmed,
    catalogue.source_zh,
    areas.sort_order

from scores
inner join areas
    on scores.area_code = areas.area_code
inner join catalogue
    on scores.indicator_code = catalogue.indicator_code
left join sections as levels
    on scores.level_code = levels.level_code
    and scores.framework_code = levels.framework_code
    and levels.section_kind = 'level'
left join sections as sub_areas
    on scores.section_code = sub_areas.section_code
