-- Published: the gap in treatment, the problems of the list that no project of the
-- library names (fct_problem, has_project = false), still a problem in their latest
-- check year (status open or recurring).
with

problems as (

    select * from {{ ref('fct_problem') }}
    where not has_project
        and status in ('open', 'recurring')

)

select
    problem_id,
    area_code,
    area_name_zh,
    area_level,
    city_code,
    indicator_code,
    indicator_name_zh,
    dimension_code,
    first_diagnosed_year,
    years_diagnosed,
    latest_year,
    status,
    value,
    standard_value,
    target_low,
    target_high,
    last_description_zh

from problems
