-- Published: every problem's history across check years, one row per problem × check
-- year with its status, value, standard and the projects treating it (fct_problem_history).
with

history as (

    select * from {{ ref('fct_problem_history') }}

)

select
    problem_id,
    area_code,
    area_name_zh,
    area_level,
    city_code,
    indicator_code,
    dimension_code,
    first_diagnosed_year,
    period_year,
    status,
    previous_status,
    is_diagnosed,
    problem_types,
    description_zh,
    value,
    standard_value,
    target_low,
    target_high,
    is_attained,
    project_ids,
    projects_started,
    has_started_project

from history
