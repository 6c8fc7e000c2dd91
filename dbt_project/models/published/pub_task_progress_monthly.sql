-- Published: the monthly dispatch of the plan's tasks per city (fct_task_progress_monthly).
with

progress as (

    select * from {{ ref('fct_task_progress_monthly') }}

),

cities as (

    select
        area_code,
        area_name_zh
    from {{ ref('dim_area') }}

)

select
    progress.task_code,
    progress.programme_no,
    progress.task_zh,
    progress.lead_department_code,
    progress.city_code,
    cities.area_name_zh as city_name_zh,
    progress.period,
    progress.period_year,
    progress.report_month,
    progress.is_reported,
    progress.planned_pct,
    progress.progress_pct,
    progress.gap_pct,
    progress.reported_status,
    progress.is_delayed,
    progress.is_done,
    progress.note

from progress
inner join cities
    on progress.city_code = cities.area_code
