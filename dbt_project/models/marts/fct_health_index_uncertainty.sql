-- Uncertainty of the health index and of the rank (a Monte Carlo uncertainty analysis in
-- the sense of the OECD/JRC handbook; doc block index_method, section 5): per city or
-- county and year, the spread of its index and of its rank (cities among the cities,
-- counties among the counties of the province) over the simulations of
-- fct_health_index_simulated, beside the published index and rank. Index
-- quantiles are quantile_cont, rank quantiles quantile_disc (actual ranks).
with

simulated as (

    select * from {{ ref('fct_health_index_simulated') }}

),

published as (

    select
        area_code,
        period_year,
        health_index,
        rank_in_province
    from {{ ref('fct_health_index') }}
    where area_level in ('city', 'county')

),

areas_ranked as (

    select
        area_level,
        period_year,
        cast(count(distinct area_code) as integer) as areas_ranked
    from simulated
    group by area_level, period_year

),

summarised as (

    select
        area_code,
        area_level,
        period_year,
        cast(count(*) as integer) as simulations,
        quantile_cont(simulated_index, 0.5) as index_median,
        quantile_cont(simulated_index, 0.05) as index_p05,
        quantile_cont(simulated_index, 0.95) as index_p95,
        cast(quantile_disc(simulated_rank, 0.5) as integer) as rank_median,
        cast(quantile_disc(simulated_rank, 0.05) as integer) as rank_p05,
        cast(quantile_disc(simulated_rank, 0.95) as integer) as rank_p95,
        cast(min(simulated_rank) as integer) as rank_best,
        cast(max(simulated_rank) as integer) as rank_worst

    from simulated
    group by area_code, area_level, period_year

),

final as (

    select
        summarised.area_code,
        summarised.area_level,
        summarised.period_year,
        published.health_index,
        published.rank_in_province,
        summarised.index_median,
        summarised.index_p05,
        summarised.index_p95,
        summarised.rank_median,
        summarised.rank_p05,
        summarised.rank_p95,
        summarised.rank_best,
        summarised.rank_worst,
        summarised.simulations,
        areas_ranked.areas_ranked

    from summarised
    inner join areas_ranked
        on summarised.area_level = areas_ranked.area_level
        and summarised.period_year = areas_ranked.period_year
    left join published
        on summarised.area_code = published.area_code
        and summarised.period_year = published.period_year

)

select * from final
