-- The health index of every area and year of the plan period recomputed under the
-- current method: the indicator scores of fct_indicator_score_current_method (the
-- catalogue of the trajectory's last year) averaged into dimension scores and the index
-- by the same rule as fct_dimension_score / fct_health_index (macro weighted_score_mean),
-- with the dimension weights (ref_index_weights) of that last year for the area's tier.
-- Beside each year's own index (fct_health_index) it separates real change from method
-- change (fct_index_trajectory).
{%- set method_year = [plan_end(), check_year()] | min %}
with

indicator_scores as (

    select * from {{ ref('fct_indicator_score_current_method') }}

),

areas as (

    select
        area_code,
        area_level,
        weight_tier
    from {{ ref('dim_area') }}

),

dimensions as (

    select dimension_code
    from {{ ref('stg_reference__dimensions') }}

),

current_weights as (

    select
        weight_tier,
        dimension_code,
        weight
    from {{ ref('stg_reference__index_weights') }} as index_weights
    where {{ is_valid_in_year('index_weights', method_year, 'valid_from_year', 'valid_to_year') }}

),

area_years as (

    select distinct
        area_code,
        period_year
    from indicator_scores

),

-- every dimension for every area-year, also when no indicator of it applies (as in
-- fct_dimension_score, so that the index's rule meets the same rows)
scaffold as (

    select
        area_years.area_code,
        areas.area_level,
        areas.weight_tier,
        area_years.period_year,
        dimensions.dimension_code
    from area_years
    inner join areas
        on area_years.area_code = areas.area_code
    cross join dimensions

),

dimension_scored as (

    select
        area_code,
        period_year,
        dimension_code,
        count(*) as indicators_expected,
        count(score) as indicators_scored,
        {{ weighted_score_mean('score', 'indicator_weight') }} as dimension_score

    from indicator_scores
    group by area_code, period_year, dimension_code

),

dimension_scores as (

    select
        scaffold.area_code,
        scaffold.area_level,
        scaffold.weight_tier,
        scaffold.period_year,
        scaffold.dimension_code,
        current_weights.weight as dimension_weight,
        dimension_scored.dimension_score,
        coalesce(dimension_scored.indicators_scored, 0) as indicators_scored,
        coalesce(dimension_scored.indicators_expected, 0) as indicators_expected

    from scaffold
    left join dimension_scored
        on scaffold.area_code = dimension_scored.area_code
        and scaffold.period_year = dimension_scored.period_year
        and scaffold.dimension_code = dimension_scored.dimension_code
    left join current_weights
        on scaffold.weight_tier = current_weights.weight_tier
        and scaffold.dimension_code = current_weights.dimension_code

),

area_index as (

    select
        area_code,
        area_level,
        weight_tier,
        period_year,
        {{ weighted_score_mean('dimension_score', 'dimension_weight', 'indicators_expected > 0') }}
            as health_index,
        cast(count(dimension_score) as integer) as dimensions_scored,
        cast(sum(indicators_scored) as integer) as indicators_scored,
        cast(sum(indicators_expected) as integer) as indicators_expected

    from dimension_scores
    group by area_code, area_level, weight_tier, period_year

),

city_ranks as (

    select
        area_code,
        period_year,
        cast(rank() over (partition by period_year order by health_index desc) as integer)
            as rank_in_province
    from area_index
    where area_level = 'city'
        and health_index is not null
        -- as the published rank: only cities with enough indicators scored
        and indicators_scored
            >= {{ assessment_parameter('rank_min_indicator_coverage') }} * indicators_expected

),

final as (

    select
        area_index.area_code,
        area_index.area_level,
        area_index.weight_tier,
        area_index.period_year,
        {{ method_year }} as method_year,
        area_index.health_index as health_index_current_method,
        city_ranks.rank_in_province as rank_in_province_current_method,
        area_index.dimensions_scored,
        area_index.indicators_scored,
        area_index.indicators_expected

    from area_index
    left join city_ranks
        on area_index.area_code = city_ranks.area_code
        and area_index.period_year = city_ranks.period_year

)

select * from final
