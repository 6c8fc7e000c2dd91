-- Published: the city health index per area and year, for BI tools (stable columns),
-- with the index and rank intervals of the uncertainty analysis (fct_health_index_uncertainty)
-- and, beside the index, its attainment (indicators attained, attainment_pct, at 100).
with

health_index as (

    select * from {{ ref('fct_health_index') }}

),

uncertainty as (

    select
        area_code,
        period_year,
        rank_median,
        rank_p05,
        rank_p95,
        index_median,
        index_p05,
        index_p95,
        simulations
    from {{ ref('fct_health_index_uncertainty') }}

),

areas as (

    select
        area_code,
        area_name_zh,
        city_code,
        sort_order
    from {{ ref('dim_area') }}

),

final as (

    select
        health_index.area_code,
        areas.area_name_zh,
        health_index.area_level,
        areas.city_code,
        health_index.period_year,
        {% for code in dimension_codes() -%}
        health_index.score_{{ code | lower }},
        {% endfor -%}
        health_index.health_index,
        health_index.rank_in_province,
        health_index.rank_withheld_reason,
        uncertainty.rank_median,
        uncertainty.rank_p05,
        uncertainty.rank_p95,
        uncertainty.index_median,
        uncertainty.index_p05,
        uncertainty.index_p95,
        uncertainty.simulations as uncertainty_simulations,
        health_index.indicators_scored,
        health_index.indicators_expected,
        health_index.indicators_attained,
        health_index.attainment_pct,
        health_index.indicators_at_100,
        health_index.indicators_missing,
        health_index.indicators_incomplete,
        areas.sort_order

    from health_index
    inner join areas
        on health_index.area_code = areas.area_code
    left join uncertainty
        on health_index.area_code = uncertainty.area_code
        and health_index.period_year = uncertainty.period_year

)

select * from final
