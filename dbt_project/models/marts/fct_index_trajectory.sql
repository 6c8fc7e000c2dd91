-- The health index over the plan period (五年一评估): every area's index from the
-- baseline year (var('plan_start') − 1) to var('plan_end') or the check year, with the
-- change on the year before and on the baseline, the rank of a city and its change on
-- the baseline (positive = moved up), and the rank interval of the uncertainty analysis.
{%- set baseline_year = plan_baseline_year() %}
with

health_index as (

    select * from {{ ref('fct_health_index') }}
    where period_year between {{ baseline_year }} and {{ plan_end() }}

),

uncertainty as (

    select
        area_code,
        period_year,
        rank_median,
        rank_p05,
        rank_p95
    from {{ ref('fct_health_index_uncertainty') }}
    where area_level = 'city'

),

with_history as (

    select
        *,
        lag(health_index) over (partition by area_code order by period_year) as previous_index,
        lag(period_year) over (partition by area_code order by period_year) as previous_year,
        max(health_index) filter (where period_year = {{ baseline_year }})
            over (partition by area_code) as baseline_index,
        max(rank_in_province) filter (where period_year = {{ baseline_year }})
            over (partition by area_code) as baseline_rank

    from health_index

),

final as (

    select
        with_history.area_code,
        with_history.area_level,
        with_history.period_year,
        {{ plan_start() }} as plan_start,
        {{ plan_end() }} as plan_end,
        {{ baseline_year }} as baseline_year,
        with_history.period_year = {{ baseline_year }} as is_baseline_year,
        with_history.health_index,
        case when with_history.previous_year = with_history.period_year - 1
            then with_history.health_index - with_history.previous_index
        end as index_change_yoy,
        with_history.health_index - with_history.baseline_index as index_change_from_baseline,
        with_history.rank_in_province,
        cast(with_history.baseline_rank - with_history.rank_in_province as integer)
            as rank_change_from_baseline,
        uncertainty.rank_median,
        uncertainty.rank_p05,
        uncertainty.rank_p95,
        with_history.indicator_coverage_pct

    from with_history
    left join uncertainty
        on with_history.area_code = uncertainty.area_code
        and with_history.period_year = uncertainty.period_year

)

select * from final
