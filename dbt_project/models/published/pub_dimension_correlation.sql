-- Published: the correlation of every pair of dimensions across the cities (and across
-- the counties) of each year, with the overlap warning (fct_dimension_correlation).
with

correlations as (

    select * from {{ ref('fct_dimension_correlation') }}

),

dimensions as (

    select
        dimension_code,
        dimension_name_zh,
        sort_order
    from {{ ref('stg_reference__dimensions') }}

)

select
    correlations.period_year,
    correlations.area_level,
    correlations.dimension_code_a,
    dimension_a.dimension_name_zh as dimension_name_zh_a,
    correlations.dimension_code_b,
    dimension_b.dimension_name_zh as dimension_name_zh_b,
    correlations.areas_compared,
    correlations.correlation,
    correlations.warning_threshold,
    correlations.is_over_threshold,
    dimension_a.sort_order as sort_order_a,
    dimension_b.sort_order as sort_order_b

from correlations
inner join dimensions as dimension_a
    on correlations.dimension_code_a = dimension_a.dimension_code
inner join dimensions as dimension_b
    on correlations.dimension_code_b = dimension_b.dimension_code
