-- Quarterly bulletin (每季度通报): the cities ranked each quarter on three parts, each
-- a score 0–100, weighted by ref_assessment_weights (composite quarterly_bulletin):
--   warnings          the city's monitoring warnings of the quarter (fct_early_warning,
--                     monthly and quarterly values): 100 × (green + ½ yellow) / all;
--   task_progress     the plan's tasks at the last reported month of the quarter:
--                     mean of min(100, 100 × progress / planned);
--   project_progress  the renewal projects of the city's counties at that month, those
--                     with planned progress > 0: mean of min(100, 100 × actual / planned).
-- A part without data drops out and the weights of the others are re-normalised
-- (parts_scored says how many parts the score stands on).
with

warnings as (

    select
        area_code as city_code,
        period_year,
        cast(ceil(month(period_start) / 3.0) as integer) as quarter,
        warning_level
    from {{ ref('fct_early_warning') }}
    where area_level = 'city'
        and frequency in ('monthly', 'quarterly')

),

tasks as (

    select * from {{ ref('fct_task_progress_monthly') }}

),

projects as (

    select * from {{ ref('fct_project_progress_monthly') }}

),

cities as (

    select area_code as city_code
    from {{ ref('dim_area') }}
    where area_level = 'city'

),

weights as (

    select
        part_code,
        weight,
        valid_from_year,
        valid_to_year
    from {{ ref('stg_reference__assessment_weights') }}
    where composite = 'quarterly_bulletin'

),

warning_part as (

    select
        city_code,
        period_year,
        quarter,
        count(*) as warnings_total,
        count(*) filter (where warning_level = 'red') as warnings_red,
        count(*) filter (where warning_level = 'yellow') as warnings_yellow,
        count(*) filter (where warning_level = 'green') as warnings_green,
        100.0 * (
            count(*) filter (where warning_level = 'green')
            + 0.5 * count(*) filter (where warning_level = 'yellow')
        ) / count(*) as warnings_score
    from warnings
    group by city_code, period_year, quarter

),

-- the last month of each quarter the registers reported
task_months as (

    select
        period_year,
        cast(ceil(report_month / 3.0) as integer) as quarter,
        max(report_month) as report_month
    from tasks
    group by period_year, cast(ceil(report_month / 3.0) as integer)

),

task_part as (

    select
        tasks.city_code,
        task_months.period_year,
        task_months.quarter,
        count(*) filter (where tasks.is_reported) as tasks_reported,
        count(*) filter (where tasks.is_delayed) as tasks_delayed,
        {{ exact_mean('least(100.0, 100.0 * tasks.progress_pct / nullif(tasks.planned_pct, 0))') }}
            as task_progress_score
    from tasks
    inner join task_months
        on tasks.period_year = task_months.period_year
        and tasks.report_month = task_months.report_month
    group by tasks.city_code, task_months.period_year, task_months.quarter

),

project_months as (

    select
        period_year,
        cast(ceil(report_month / 3.0) as integer) as quarter,
        max(report_month) as report_month
    from projects
    group by period_year, cast(ceil(report_month / 3.0) as integer)

),

project_part as (

    select
        projects.city_code,
        project_months.period_year,
        project_months.quarter,
        count(*) as projects_reported,
        count(*) filter (where projects.is_behind_schedule) as projects_behind,
        count(*) filter (where projects.is_overdue) as projects_overdue,
        {{ exact_mean(
            'least(100.0, 100.0 * projects.actual_progress_pct / projects.planned_progress_pct)',
            'projects.planned_progress_pct > 0') }} as project_progress_score
    from projects
    inner join project_months
        on projects.period_year = project_months.period_year
        and projects.report_month = project_months.report_month
    group by projects.city_code, project_months.period_year, project_months.quarter

),

quarters as (

    select period_year, quarter from warning_part
    union
    select period_year, quarter from task_months
    union
    select period_year, quarter from project_months

),

joined as (

    select
        cities.city_code,
        quarters.period_year,
        quarters.quarter,
        warning_part.warnings_total,
        warning_part.warnings_red,
        warning_part.warnings_yellow,
        warning_part.warnings_green,
        warning_part.warnings_score,
        task_part.tasks_reported,
        task_part.tasks_delayed,
        task_part.task_progress_score,
        project_part.projects_reported,
        project_part.projects_behind,
        project_part.projects_overdue,
        project_part.project_progress_score,
        warning_weight.weight as warnings_weight,
        task_weight.weight as task_progress_weight,
        project_weight.weight as project_progress_weight

    from cities
    cross join quarters
    left join warning_part
        on cities.city_code = warning_part.city_code
        and quarters.period_year = warning_part.period_year
        and quarters.quarter = warning_part.quarter
    left join task_part
        on cities.city_code = task_part.city_code
        and quarters.period_year = task_part.period_year
        and quarters.quarter = task_part.quarter
    left join project_part
        on cities.city_code = project_part.city_code
        and quarters.period_year = project_part.period_year
        and quarters.quarter = project_part.quarter
    {{ join_part_weight('weights', 'warning_weight', 'warnings', 'quarters.period_year') }}
    {{ join_part_weight('weights', 'task_weight', 'task_progress', 'quarters.period_year') }}
    {{ join_part_weight('weights', 'project_weight', 'project_progress', 'quarters.period_year') }}

),

scored as (

    select
        *,
        {{ weighted_score_of_scored_parts([
            ['warnings_score', 'warnings_weight'],
            ['task_progress_score', 'task_progress_weight'],
            ['project_progress_score', 'project_progress_weight'],
        ]) }} as bulletin_score,
        {{ parts_scored(['warnings_score', 'task_progress_score', 'project_progress_score']) }}
            as parts_scored

    from joined

),

final as (

    select
        city_code,
        period_year,
        quarter,
        period_year || '-Q' || quarter as period,
        cast(coalesce(warnings_total, 0) as integer) as warnings_total,
        cast(coalesce(warnings_red, 0) as integer) as warnings_red,
        cast(coalesce(warnings_yellow, 0) as integer) as warnings_yellow,
        cast(coalesce(warnings_green, 0) as integer) as warnings_green,
        warnings_score,
        cast(coalesce(tasks_reported, 0) as integer) as tasks_reported,
        cast(coalesce(tasks_delayed, 0) as integer) as tasks_delayed,
        task_progress_score,
        cast(coalesce(projects_reported, 0) as integer) as projects_reported,
        cast(coalesce(projects_behind, 0) as integer) as projects_behind,
        cast(coalesce(projects_overdue, 0) as integer) as projects_overdue,
        project_progress_score,
        warnings_weight,
        task_progress_weight,
        project_progress_weight,
        bulletin_score,
        parts_scored,
        cast(case when bulletin_score is not null then rank() over (
            partition by period_year, quarter
            order by bulletin_score desc nulls last
        ) end as integer) as rank_in_province

    from scored

)

select * from final
