-- Monitoring between checks (监测): for every problem whose indicator has a monthly or
-- quarterly feed (fct_early_warning, frequency monthly or quarterly), the latest
-- monitored period of the area up to the check year, its value, warning colour and
-- trend, beside the problem's status in its latest check year (fct_problem_history).
-- is_slipping marks a treated problem (a project treating it has started) whose latest
-- monitored value is red or on a worsening trend (warning_trend_periods): what the
-- monthly dispatch follows up.
with

latest_status as (

    select
        problem_id,
        area_code,
        area_level,
        city_code,
        indicator_code,
        period_year as latest_check_year,
        status,
        has_started_project,
        value as check_value
    from {{ ref('fct_problem_history') }}
    where is_latest_year

),

monitored as (

    select
        area_code,
        indicator_code,
        frequency,
        period,
        period_year,
        period_start,
        direction,
        value,
        warning_level,
        threshold_level,
        worsening_periods,
        is_worsening_trend
    from {{ ref('fct_early_warning') }}
    where frequency in ('monthly', 'quarterly')
        and period_year <= {{ check_year() }}
    qualify row_number() over (
        partition by area_code, indicator_code order by period_start desc, frequency
    ) = 1

),

final as (

    select
        latest_status.problem_id,
        latest_status.area_code,
        latest_status.area_level,
        latest_status.city_code,
        latest_status.indicator_code,
        latest_status.latest_check_year,
        latest_status.status,
        latest_status.has_started_project,
        latest_status.check_value,
        monitored.frequency,
        monitored.period,
        monitored.period_start,
        monitored.direction,
        monitored.value,
        monitored.threshold_level,
        monitored.warning_level,
        monitored.worsening_periods,
        monitored.is_worsening_trend,
        latest_status.has_started_project
            and (monitored.warning_level = 'red' or monitored.is_worsening_trend)
            as is_slipping

    from latest_status
    inner join monitored
        on latest_status.area_code = monitored.area_code
        and latest_status.indicator_code = monitored.indicator_code

)

select * from final
