-- Published: the projects of the library that treat no problem of the list (not
-- justified by the check; fct_project_problem_link, has_problem = false).
with

links as (

    select * from {{ ref('fct_project_problem_link') }}
    where not has_problem

)

select
    project_id,
    project_name,
    area_code,
    city_code,
    project_type_code,
    project_type_zh,
    indicator_codes,
    department,
    planned_investment,
    planned_start,
    planned_end,
    latest_period,
    actual_progress_pct,
    project_status

from links
