-- Five-year assessment (五年一评估) of the plan period var('plan_start') …
-- var('plan_end') (2021–2025), per area and indicator: the start value (the baseline
-- year plan_start − 1 = 2020; for an indicator introduced later, its first year with a
-- value) and the end value (plan_end, or the check year while the period is still
-- running: is_period_closed = false; for an indicator dropped earlier, its last year
-- with a value), the change and the average annual change (absolute: change / years;
-- relative: the compound rate ((end / start)^(1/years) − 1) × 100 when both values are
-- positive), whether the indicator improved (goodness up) and whether it attains the
-- standard of its end year's catalogue version. The start and end values are also scored
-- under one method, the current one (fct_indicator_score_current_method: the catalogue
-- of min(plan_end, check year)), so that score_change_current_method is real change and
-- score_change − score_change_current_method the part of the score change that comes
-- from the catalogue changing between the two years.
{%- set baseline_year = plan_baseline_year() %}
{%- set period_end = [plan_end(), check_year()] | min %}
with

indicator_scores as (

    select * from {{ ref('fct_indicator_score') }}
    where period_year between {{ baseline_year }} and {{ period_end }}

),

current_method_scores as (

    select
        area_code,
        period_year,
        indicator_code,
        score
    from {{ ref('fct_indicator_score_current_method') }}

),

with_goodness as (

    select
        *,
        {{ goodness('direction', 'value', 'target_low', 'target_high') }} as goodness
    from indicator_scores

),

series as (

    select
        area_code,
        any_value(area_level) as area_level,
        indicator_code,
        cast(count(value) as integer) as years_with_value,
        min(period_year) filter (where value is not null) as start_year,
        max(period_year) filter (where value is not null) as end_year

    from with_goodness
    group by area_code, indicator_code

),

joined as (

    select
        series.area_code,
        series.area_level,
        series.indicator_code,
        coalesce(end_values.dimension_code, start_values.dimension_code) as dimension_code,
        coalesce(end_values.direction, start_values.direction) as direction,
        series.years_with_value,
        series.start_year,
        series.end_year,
        start_values.value as start_value,
        end_values.value as end_value,
        start_values.goodness as start_goodness,
        end_values.goodness as end_goodness,
        start_values.score as start_score,
        end_values.score as end_score,
        start_current.score as start_score_current_method,
        end_current.score as end_score_current_method,
        start_values.is_attained as start_attained,
        end_values.is_attained as end_attained,
        end_values.standard_value as end_standard_value,
        end_values.target_low as end_target_low,
        end_values.target_high as end_target_high

    from series
    left join with_goodness as start_values
        on series.area_code = start_values.area_code
        and series.indicator_code = start_values.indicator_code
        and series.start_year = start_values.period_year
    left join with_goodness as end_values
        on series.area_code = end_values.area_code
        and series.indicator_code = end_values.indicator_code
        and series.end_year = end_values.period_year
    left join current_method_scores as start_current
        on series.area_code = start_current.area_code
        and series.indicator_code = start_current.indicator_code
        and series.start_year = start_current.period_year
    left join current_method_scores as end_current
        on series.area_code = end_current.area_code
        and series.indicator_code = end_current.indicator_code
        and series.end_year = end_current.period_year

),

final as (

    select
        area_code,
        area_level,
        indicator_code,
        dimension_code,
        direction,
        {{ plan_start() }} as plan_start,
        {{ plan_end() }} as plan_end,
        {{ baseline_year }} as baseline_year,
        {{ period_end }} >= {{ plan_end() }} as is_period_closed,
        start_year,
        end_year,
        start_year = {{ baseline_year }} as starts_at_baseline,
        end_year - start_year as years_elapsed,
        years_with_value,
        start_value,
        end_value,
        case when end_year > start_year then end_value - start_value end as change_abs,
        case when end_year > start_year
            then (end_value - start_value) / (end_year - start_year)
        end as avg_annual_change,
        case
            when end_year > start_year and start_value > 0 and end_value > 0
                then 100.0 * (power(end_value / start_value, 1.0 / (end_year - start_year)) - 1)
        end as avg_annual_change_pct,
        case when end_year > start_year then end_goodness > start_goodness end as is_improved,
        start_score,
        end_score,
        case when end_year > start_year then end_score - start_score end as score_change,
        start_score_current_method,
        end_score_current_method,
        case when end_year > start_year
            then end_score_current_method - start_score_current_method
        end as score_change_current_method,
        start_attained,
        end_attained,
        end_standard_value,
        end_target_low,
        end_target_high,
        case
            when end_year is null or end_year = start_year then 'no_data'
            when end_attained then 'attained'
            when end_goodness > start_goodness then 'improved_not_attained'
            else 'not_improved'
        end as assessment_status

    from joined

)

select * from final
