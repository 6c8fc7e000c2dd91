-- Published: the project library linked to the problem list, one row per project ×
-- problem it treats; a project without any problem has one row with no problem
-- (fct_project_problem_link).
with

links as (

    select * from {{ ref('fct_project_problem_link') }}

)

select
    project_id,
    project_name,
    area_code,
    city_code,
    project_type_code,
    project_type_zh,
    task_code,
    indicator_codes,
    department,
    planned_investment,
    planned_start,
    planned_end,
    is_started,
    latest_period,
    planned_progress_pct,
    actual_progress_pct,
    invested_to_date,
    project_status,
    is_completed,
    is_behind_schedule,
    is_overdue,
    problem_id,
    problem_area_code,
    problem_area_level,
    indicator_code,
    first_diagnosed_year,
    problem_status,
    has_problem

from links
