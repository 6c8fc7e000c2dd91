-- Published: the urban-renewal projects' monthly progress against plan
-- (fct_project_progress_monthly).
with

projects as (

    select * from {{ ref('fct_project_progress_monthly') }}

),

areas as (

    select
        area_code,
        area_name_zh
    from {{ ref('dim_area') }}

)

select
    projects.project_id,
    projects.project_name,
    projects.area_code,
    areas.area_name_zh,
    projects.city_code,
    projects.project_type_code,
    projects.project_type_zh,
    projects.task_code,
    projects.indicator_codes,
    projects.period,
    projects.period_year,
    projects.report_month,
    projects.planned_start,
    projects.planned_end,
    projects.months_planned,
    projects.months_elapsed,
    projects.planned_progress_pct,
    projects.actual_progress_pct,
    projects.progress_gap_pct,
    projects.planned_investment,
    projects.planned_investment_to_date,
    projects.invested_to_date,
    projects.investment_gap,
    projects.investment_completion_pct,
    projects.status,
    projects.is_completed,
    projects.is_behind_schedule,
    projects.is_overdue

from projects
inner join areas
    on projects.area_code = areas.area_code
