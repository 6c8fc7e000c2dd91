-- Published: the health index of every area over the plan period (fct_index_trajectory).
with

trajectory as (

    select * from {{ ref('fct_index_trajectory') }}

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
    trajectory.rank_median,
    trajectory.rank_p05,
    trajectory.rank_p95,
    areas.sort_order

from trajectory
inner join areas
    on trajectory.area_code = areas.area_code
