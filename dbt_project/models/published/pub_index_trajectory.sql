-- Published: the health index of every area over the plan period (fct_index_trajectory),
-- each year's own figure beside the figure under the current method, and a city's rank
-- interval of the uncertainty analysis (fct_health_index_uncertainty), joined here only
-- so that no change of the trajectory depends on its simulations.
with

trajectory as (

    select * from {{ ref('fct_index_trajectory') }}

),

uncertainty as (

    select
        area_code,
        period_year,
        rank_median,
        rank_p05,
        rank_p95
    from {{ ref('fct_health_index_uncertainty') }}
    -- the trajectory ranks cities only: a county's interval (among counties) stays out
    where area_level = 'city'

),

areas as (

    select
        area_code,
        area_name_zh,
        city_code,
        sort_order
    from {{ ref('dim_area') }}

)

select
    trajectory.area_code,
    areas.area_name_zh,
    trajectory.area_level,
    areas.city_code,
    trajectory.period_year,
    trajectory.plan_start,
    trajectory.plan_end,
    trajectory.baseline_year,
    trajectory.is_baseline_year,
    trajectory.health_index,
    trajectory.index_change_yoy,
    trajectory.index_change_from_baseline,
    trajectory.rank_in_province,
    trajectory.rank_change_from_baseline,
    trajectory.method_year,
    trajectory.health_index_current_method,
    trajectory.method_effect,
    trajectory.index_change_from_baseline_current_method,
    trajectory.rank_in_province_current_method,
    trajectory.rank_change_from_baseline_current_method,
    uncertainty.rank_median,
    uncertainty.rank_p05,
    uncertainty.rank_p95,
    areas.sort_order,
    trajectory.framework_code,
    frameworks.framework_name_zh,
    trajectory.index_framework_code,
    trajectory.is_framework_switch_year,
    trajectory.framework_note_zh

from trajectory
inner join areas
    on trajectory.area_code = areas.area_code
left join uncertainty
    on trajectory.area_code = uncertainty.area_code
    and trajectory.period_year = uncertainty.period_year
left join {{ ref('stg_reference__frameworks') }} as frameworks
    on trajectory.framework_code = frameworks.framework_code
