-- For every city (and the province and every county) and year of the index, the weights
-- of the dimensions (ref_index_weights for the area's weight tier and the year)
-- sum to 1. A missing or doubled weight row would silently tilt the index.
with

dimensions as (

    select count(*) as dimension_count
    from {{ ref('ref_dimensions') }}

),

weights as (

    select
        area_code,
        area_level,
        weight_tier,
        period_year,
        count(dimension_weight) as dimensions_weighted,
        sum(dimension_weight) as weight_sum
    from {{ ref('fct_dimension_score') }}
    group by area_code, area_level, weight_tier, period_year

)

select weights.*
from weights
cross join dimensions
where weights.dimensions_weighted <> dimensions.dimension_count
    or abs(weight_sum - 1.0) > 1e-9
