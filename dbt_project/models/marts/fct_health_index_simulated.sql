-- The simulated indices of the uncertainty analysis (fct_health_index_simulation) with
-- each area's rank among the areas of the same level in the simulation and year (1 =
-- best). A city whose rank the index withholds (indicator coverage below
-- rank_min_indicator_coverage: fct_health_index.rank_in_province is null) is left out,
-- so that the others are ranked among the ranked cities only.
with

simulated_index as (

    select * from {{ ref('fct_health_index_simulation') }}

),

unranked_cities as (

    select
        area_code,
        period_year
    from {{ ref('fct_health_index') }}
    where area_level = 'city'
        and rank_in_province is null

),

final as (

    select
        simulation_id,
        area_code,
        area_level,
        period_year,
        simulated_index,
        cast(rank() over (
            partition by simulation_id, area_level, period_year order by simulated_index desc
        ) as integer) as simulated_rank

    from simulated_index
    anti join unranked_cities
        on simulated_index.area_code = unranked_cities.area_code
        and simulated_index.period_year = unranked_cities.period_year

)

select * from final
