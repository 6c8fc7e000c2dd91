-- Published: the re-check (复查) of treated problems, one row per problem × project ×
-- check year from the project's start: value before the project, value of the year,
-- change in the good direction and verdict (fct_recheck).
with

rechecks as (

    select * from {{ ref('fct_recheck') }}

)

select
    problem_id,
    project_id,
    area_code,
    area_level,
    city_code,
    indicator_code,
    direction,
    planned_start,
    planned_end,
    baseline_year,
    baseline_value,
    baseline_scored_value,
    recheck_year,
    value,
    scored_value,
    change_abs,
    goodness_change,
    relative_change,
    improvement_threshold,
    verdict,
    standard_value,
    target_low,
    target_high,
    is_attained,
    status,
    is_latest_recheck

from rechecks
