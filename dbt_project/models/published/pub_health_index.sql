-- Published: the city health index per area and year, for BI tools (stable columns).
with

health_index as (

    select * from {{ ref('fct_health_index') }}

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
        health_index.indicators_scored,
        health_index.indicators_expected,
        areas.sort_order

    from health_index
    inner join areas
        on health_index.area_code = areas.area_code

)

select * from final
