-- Published: the problem list (问题清单) of the check year, one row per problem with its
-- id, status, projects and latest monitoring (fct_problem).
with

problems as (

    select * from {{ ref('fct_problem') }}

)

select
    problem_id,
    area_code,
    area_name_zh,
    area_level,
    city_code,
    indicator_code,
    indicator_name_zh,
    unit_zh,
    dimension_code,
    direction,
    first_diagnosed_year,
    last_diagnosed_year,
    years_diagnosed,
    times_resolved,
    times_recurred,
    latest_year,
    status,
    value,
    scored_value,
    score_unit_zh,
    standard_value,
    target_low,
    target_high,
    is_attained,
    problem_types,
    last_description_zh,
    project_ids,
    projects_started,
    projects_in_library,
    has_project,
    has_started_project,
    first_treated_year,
    monitored_frequency,
    monitored_period,
    monitored_value,
    monitored_warning_level,
    is_slipping

from problems
