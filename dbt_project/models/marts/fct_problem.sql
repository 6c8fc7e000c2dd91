-- The problem list (问题清单) of the check year: one row per problem (area × indicator,
-- id by its first diagnosed year, fct_problem_history) with its status in the latest
-- check year with a value, the way it came there (years diagnosed, times resolved and
-- recurred), the projects treating it and, for monitored indicators, the latest
-- monthly or quarterly warning (fct_problem_monitoring). has_project = false lists the
-- gap in treatment: a problem that no project of the library names.
with

history as (

    select * from {{ ref('fct_problem_history') }}

),

monitoring as (

    select * from {{ ref('fct_problem_monitoring') }}

),

indicators as (

    select
        indicator_code,
        check_year_from,
        check_year_to,
        indicator_name_zh,
        unit_zh,
        score_unit_zh
    from {{ ref('dim_indicator') }}

),

with_latest_diagnosis as (

    select
        *,
        is_diagnosed
            and period_year = max(period_year) filter (where is_diagnosed) over (
                partition by problem_id
            ) as is_latest_diagnosis
    from history

),

summary as (

    select
        problem_id,
        max(period_year) filter (where is_diagnosed) as last_diagnosed_year,
        cast(count(*) filter (where is_diagnosed) as integer) as years_diagnosed,
        cast(count(*) filter (
            where status = 'resolved' and previous_status is distinct from 'resolved'
        ) as integer) as times_resolved,
        cast(count(*) filter (
            where status = 'recurring' and previous_status = 'resolved'
        ) as integer) as times_recurred,
        min(period_year) filter (where has_started_project) as first_treated_year,
        max(description_zh) filter (where is_latest_diagnosis) as last_description_zh
    from with_latest_diagnosis
    group by problem_id

),

latest as (

    select * from history
    where is_latest_year

),

final as (

    select
        latest.problem_id,
        latest.area_code,
        latest.area_name_zh,
        latest.area_level,
        latest.city_code,
        latest.indicator_code,
        indicators.indicator_name_zh,
        indicators.unit_zh,
        latest.dimension_code,
        latest.direction,
        latest.first_diagnosed_year,
        cast(summary.last_diagnosed_year as integer) as last_diagnosed_year,
        summary.years_diagnosed,
        summary.times_resolved,
        summary.times_recurred,
        latest.period_year as latest_year,
        latest.status,
        latest.value,
        latest.scored_value,
        indicators.score_unit_zh,
        latest.standard_value,
        latest.target_low,
        latest.target_high,
        latest.is_attained,
        latest.score,
        latest.problem_types,
        summary.last_description_zh,
        latest.project_ids,
        latest.projects_started,
        latest.projects_in_library,
        latest.projects_in_library > 0 as has_project,
        latest.has_started_project,
        cast(summary.first_treated_year as integer) as first_treated_year,
        monitoring.frequency as monitored_frequency,
        monitoring.period as monitored_period,
        monitoring.value as monitored_value,
        monitoring.warning_level as monitored_warning_level,
        coalesce(monitoring.is_slipping, false) as is_slipping

    from latest
    inner join summary
        on latest.problem_id = summary.problem_id
    left join indicators
        on latest.indicator_code = indicators.indicator_code
        and {{ is_valid_in_year('indicators', 'latest.period_year') }}
    left join monitoring
        on latest.problem_id = monitoring.problem_id

)

select * from final
