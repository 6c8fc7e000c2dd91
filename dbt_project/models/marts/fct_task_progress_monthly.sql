-- Monthly dispatch (每月调度) of the plan's 22 tasks: one row per task × city × report
-- month for every month the task register arrived (a city that did not report a task
-- keeps its row, is_reported = false). Planned progress is linear over the year:
-- planned_pct = report month / 12 × 100; gap_pct = progress − planned (negative =
-- behind). A task is delayed when it lags the plan by more than task_delay_tolerance_pct
-- points (ref_assessment_parameters) or the city itself reports it 滞后 (delayed).
with

progress as (

    select * from {{ ref('stg_registers__task_progress') }}
    where period_year <= {{ check_year() }}

),

tasks as (

    select
        task_code,
        programme_no,
        task_zh,
        lead_department_code
    from {{ ref('stg_reference__plan_tasks') }}

),

cities as (

    select area_code as city_code
    from {{ ref('dim_area') }}
    where area_level = 'city'

),

months as (

    select distinct
        period,
        period_year,
        report_month
    from progress

),

scaffold as (

    select
        tasks.task_code,
        tasks.programme_no,
        tasks.task_zh,
        tasks.lead_department_code,
        cities.city_code,
        months.period,
        months.period_year,
        months.report_month

    from tasks
    cross join cities
    cross join months

),

joined as (

    select
        scaffold.*,
        progress.progress_pct,
        progress.status as reported_status,
        progress.note,
        progress.batch_id,
        progress.task_code is not null as is_reported,
        100.0 * scaffold.report_month / 12 as planned_pct

    from scaffold
    left join progress
        on scaffold.task_code = progress.task_code
        and scaffold.city_code = progress.city_code
        and scaffold.period = progress.period

),

final as (

    select
        task_code,
        programme_no,
        task_zh,
        lead_department_code,
        city_code,
        period,
        period_year,
        report_month,
        is_reported,
        planned_pct,
        progress_pct,
        progress_pct - planned_pct as gap_pct,
        reported_status,
        case
            when not is_reported then null
            else coalesce(progress_pct < planned_pct - {{ assessment_parameter('task_delay_tolerance_pct') }}, false)
                or reported_status = 'delayed'
        end as is_delayed,
        case
            when not is_reported then null
            else coalesce(progress_pct >= 100, false) or reported_status = 'done'
        end as is_done,
        note,
        batch_id

    from joined

)

select * from final
