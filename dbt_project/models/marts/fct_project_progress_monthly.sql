-- Urban-renewal projects (城市更新项目) per report month: planned progress by elapsed
-- time, actual progress, planned and completed investment, and flags. With the planned
-- start and completion months s and e (both counted) and the report month m:
--   months_planned = e − s + 1;  months_elapsed = clamp(m − s + 1, 0, months_planned);
--   planned_progress_pct = 100 × months_elapsed / months_planned (linear in time);
--   planned_investment_to_date = planned_investment × planned_progress_pct / 100.
-- is_behind_schedule: progress lags the plan by more than project_delay_tolerance_pct
-- points (ref_assessment_parameters); is_overdue: the completion month has passed and
-- the project is not complete.
with

progress as (

    select * from {{ ref('stg_registers__project_progress') }}
    where period_year <= {{ check_year() }}

),

project_types as (

    select
        project_type_code,
        project_type_zh,
        task_code
    from {{ ref('stg_reference__project_types') }}

),

areas as (

    select
        area_code,
        city_code
    from {{ ref('dim_area') }}

),

timed as (

    select
        progress.*,
        make_date(progress.period_year, progress.report_month, 1) as report_month_start,
        datediff('month', progress.planned_start, progress.planned_end) + 1 as months_planned,
        datediff('month', progress.planned_start,
            make_date(progress.period_year, progress.report_month, 1)) + 1 as months_since_start

    from progress

),

planned as (

    select
        *,
        greatest(0, least(months_planned, months_since_start)) as months_elapsed,
        case
            when months_planned is null or months_planned <= 0 then null
            else 100.0 * greatest(0, least(months_planned, months_since_start)) / months_planned
        end as planned_progress_pct

    from timed

),

final as (

    select
        planned.project_id,
        planned.project_name,
        planned.area_code,
        areas.city_code,
        planned.project_type_code,
        project_types.project_type_zh,
        project_types.task_code,
        planned.indicator_codes,
        planned.department,
        planned.period,
        planned.period_year,
        planned.report_month,
        planned.planned_start,
        planned.planned_end,
        cast(planned.months_planned as integer) as months_planned,
        cast(planned.months_elapsed as integer) as months_elapsed,
        planned.planned_progress_pct,
        planned.progress_pct as actual_progress_pct,
        planned.progress_pct - planned.planned_progress_pct as progress_gap_pct,
        planned.planned_investment,
        planned.planned_investment * planned.planned_progress_pct / 100.0
            as planned_investment_to_date,
        planned.invested_to_date,
        planned.invested_to_date
            - planned.planned_investment * planned.planned_progress_pct / 100.0
            as investment_gap,
        100.0 * planned.invested_to_date / nullif(planned.planned_investment, 0)
            as investment_completion_pct,
        planned.status,
        planned.report_month_start >= planned.planned_start as is_started_as_planned,
        planned.status = 'completed' or coalesce(planned.progress_pct >= 100, false)
            as is_completed,
        coalesce(
            planned.progress_pct < planned.planned_progress_pct
                - {{ assessment_parameter('project_delay_tolerance_pct') }},
            false
        ) as is_behind_schedule,
        planned.report_month_start > planned.planned_end
            and not (planned.status = 'completed' or coalesce(planned.progress_pct >= 100, false))
            as is_overdue,
        planned.batch_id

    from planned
    left join project_types
        on planned.project_type_code = project_types.project_type_code
    left join areas
        on planned.area_code = areas.area_code

)

select * from final
