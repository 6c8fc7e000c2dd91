-- The re-check (复查): did a treated problem move? One row per problem × project that
-- has started treating it × check year from the project's planned start year on. The
-- baseline is the indicator's value of the area in the last check year before the
-- planned start; the change is measured in goodness (macro goodness: up is better
-- whatever the direction) on the scored value (the value, or a count per million
-- residents: what the standard is compared with), relative to the baseline's magnitude:
--   relative_change = (goodness − baseline goodness) / |baseline scored value|;
--   improved  relative_change ≥ recheck_improvement_threshold,
--   worse     relative_change ≤ −recheck_improvement_threshold, else no_change
-- (a baseline of 0: improved / worse / no_change by the sign of the change). The
-- problem's status of the year (fct_problem_history) shows the outcome: resolved when
-- it is no longer diagnosed, recurring when it came back after that.
with

links as (

    select
        problem_id,
        project_id,
        planned_start,
        planned_end,
        is_completed
    from {{ ref('fct_project_problem_link') }}
    where problem_id is not null
        and is_started

),

history as (

    select * from {{ ref('fct_problem_history') }}

),

scores as (

    select
        area_code,
        indicator_code,
        period_year,
        value,
        scored_value,
        {{ goodness('direction', 'scored_value', 'target_low', 'target_high') }} as goodness
    from {{ ref('fct_indicator_score') }}
    where value is not null
        and period_year <= {{ check_year() }}

),

rechecks as (

    select
        history.problem_id,
        links.project_id,
        history.area_code,
        history.area_level,
        history.city_code,
        history.indicator_code,
        history.direction,
        links.planned_start,
        links.planned_end,
        history.period_year as recheck_year,
        history.value,
        history.scored_value,
        {{ goodness('history.direction', 'history.scored_value', 'history.target_low', 'history.target_high') }}
            as goodness,
        history.standard_value,
        history.target_low,
        history.target_high,
        history.is_attained,
        history.status

    from links
    inner join history
        on links.problem_id = history.problem_id
        and history.period_year >= year(links.planned_start)

),

with_baseline as (

    select
        rechecks.*,
        baseline.period_year as baseline_year,
        baseline.value as baseline_value,
        baseline.scored_value as baseline_scored_value,
        baseline.goodness as baseline_goodness

    from rechecks
    asof left join scores as baseline
        on rechecks.area_code = baseline.area_code
        and rechecks.indicator_code = baseline.indicator_code
        and year(rechecks.planned_start) > baseline.period_year

),

with_change as (

    select
        *,
        goodness - baseline_goodness as goodness_change,
        (goodness - baseline_goodness) / nullif(abs(baseline_scored_value), 0) as relative_change,
        {{ assessment_parameter('recheck_improvement_threshold') }} as improvement_threshold

    from with_baseline

),

final as (

    select
        problem_id,
        project_id,
        area_code,
        area_level,
        city_code,
        indicator_code,
        direction,
        planned_start,
        planned_end,
        cast(baseline_year as integer) as baseline_year,
        baseline_value,
        baseline_scored_value,
        cast(recheck_year as integer) as recheck_year,
        value,
        scored_value,
        value - baseline_value as change_abs,
        goodness_change,
        relative_change,
        improvement_threshold,
        case
            when baseline_value is null then null
            when relative_change is null then
                case
                    when goodness_change > 0 then 'improved'
                    when goodness_change < 0 then 'worse'
                    else 'no_change'
                end
            when relative_change >= improvement_threshold then 'improved'
            when relative_change <= -improvement_threshold then 'worse'
            else 'no_change'
        end as verdict,
        standard_value,
        target_low,
        target_high,
        is_attained,
        status,
        recheck_year = max(recheck_year) over (partition by problem_id, project_id)
            as is_latest_recheck

    from with_change

)

select * from final
