-- The project library linked to the problem list (项目库 ↔ 问题清单): one row per project ×
-- problem it treats, by area × indicator: the project names the indicator (针对问题指标)
-- and lies in the problem's area (the problem of its county or of its city; the path of
-- fct_problem_history). A project that treats no problem of the list keeps one row with
-- no problem (has_problem = false): it is not justified by the check. Each row carries
-- the project's plan (investment, start, completion, department) and its latest monthly
-- progress up to the check year (fct_project_progress_monthly).
with

progress as (

    select * from {{ ref('fct_project_progress_monthly') }}
    where period_year <= {{ check_year() }}
    qualify row_number() over (partition by project_id order by period desc) = 1

),

problems as (

    select
        problem_id,
        area_code,
        area_level,
        indicator_code,
        first_diagnosed_year,
        status
    from {{ ref('fct_problem') }}

),

links as (

    select
        progress.project_id,
        problems.problem_id,
        problems.area_code as problem_area_code,
        problems.area_level as problem_area_level,
        problems.indicator_code,
        problems.first_diagnosed_year,
        problems.status as problem_status

    from progress
    inner join problems
        on list_contains(progress.indicator_codes, problems.indicator_code)
        and (
            problems.area_code = progress.area_code
            or problems.area_code = progress.city_code
        )

),

final as (

    select
        progress.project_id,
        progress.project_name,
        progress.area_code,
        progress.city_code,
        progress.project_type_code,
        progress.project_type_zh,
        progress.task_code,
        progress.indicator_codes,
        progress.department,
        progress.planned_investment,
        progress.planned_start,
        progress.planned_end,
        year(progress.planned_start) <= {{ check_year() }} as is_started,
        progress.period as latest_period,
        progress.planned_progress_pct,
        progress.actual_progress_pct,
        progress.invested_to_date,
        progress.status as project_status,
        progress.is_completed,
        progress.is_behind_schedule,
        progress.is_overdue,
        links.problem_id,
        links.problem_area_code,
        links.problem_area_level,
        links.indicator_code,
        links.first_diagnosed_year,
        links.problem_status,
        count(links.problem_id) over (partition by progress.project_id) > 0 as has_problem

    from progress
    left join links
        on progress.project_id = links.project_id

)

select * from final
