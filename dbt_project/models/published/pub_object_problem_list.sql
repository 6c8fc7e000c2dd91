-- Published: the object-level problem list of the four-level check (问题清单 → 整治清单
-- → 复查), one row per problem and check year it was found in (fct_object_problem), with
-- the object, the area and Chinese labels of the level, treatment status and re-check.
with

problems as (

    select * from {{ ref('fct_object_problem') }}

),

objects as (

    select
        object_id,
        period_year,
        object_name,
        street_name,
        parent_object_id,
        longitude,
        latitude
    from {{ ref('stg_objects__register') }}

),

catalogue as (

    select * from {{ ref('stg_reference__object_indicators') }}

),

levels as (

    select * from {{ ref('stg_reference__framework_sections') }}
    where section_kind = 'level'

),

areas as (

    select * from {{ ref('dim_area') }}

)

select
    problems.problem_id,
    problems.object_id,
    objects.object_name,
    problems.object_kind,
    objects.parent_object_id,
    problems.county_code,
    counties.area_name_zh as county_name_zh,
    problems.city_code,
    cities.area_name_zh as city_name_zh,
    objects.street_name,
    objects.longitude,
    objects.latitude,
    problems.period_year,
    problems.framework_code,
    problems.level_code,
    levels.section_name_zh as level_name_zh,
    problems.indicator_code,
    catalogue.indicator_name_zh,
    problems.finding_value,
    catalogue.unit_zh,
    problems.finding_zh,
    problems.first_year_found,
    problems.last_year_found,
    problems.years_found,
    problems.treatment_status,
    case problems.treatment_status
        when 'listed' then '已列入整治清单'
        when 'in_progress' then '整治中'
        when 'rectified' then '已整改'
        else '未列入整治台账'
    end as treatment_status_zh,
    problems.treatment_period,
    problems.project_id,
    problems.rectified_on,
    problems.recheck_outcome,
    case problems.recheck_outcome
        when 'passed' then '复查已销号'
        when 'failed' then '复查未通过'
        else '待复查'
    end as recheck_outcome_zh

from problems
left join objects
    on problems.object_id = objects.object_id
    and problems.period_year = objects.period_year
left join catalogue
    on problems.indicator_code = catalogue.indicator_code
left join levels
    on problems.level_code = levels.level_code
    and problems.framework_code = levels.framework_code
left join areas as counties
    on problems.county_code = counties.area_code
left join areas as cities
    on problems.city_code = cities.area_code
