-- Dimension scores (long form): one row per area × year × dimension. The score is the
-- catalogue-weighted mean of the scores of every indicator expected for the area and
-- year, a missing one counting as index_gap_score (0) so that a gap never raises the
-- score (macro weighted_score_mean); indicators_missing and indicators_incomplete (scored
-- from a roll-up without every county) flag the rows that stand on less evidence. dimension_weight is the weight of the
-- dimension in the health index for the area's weight tier and the year
-- (ref_index_weights); the weights of an area-year sum to 1.
with

indicator_scores as (

    select * from {{ ref('fct_indicator_score') }}

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

index_weights as (

    select
        valid_from_year,
        valid_to_year,
        weight_tier,
        dimension_code,
        weight
    from {{ ref('stg_reference__index_weights') }}

),

area_years as (

    select distinct
        area_code,
        period_year
    from indicator_scores

),

-- every dimension for every area-year, also when no indicator of it applies
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

scored as (

    select
        area_code,
        period_year,
        dimension_code,
        count(*) as indicators_expected,
        count(score) as indicators_scored,
        count(score) filter (where not is_complete) as indicators_incomplete,
        {{ weighted_score_mean('score', 'indicator_weight') }} as dimension_score

    from indicator_scores
    group by area_code, period_year, dimension_code

),

final as (

    select
        scaffold.area_code,
        scaffold.area_level,
        scaffold.weight_tier,
        scaffold.period_year,
        scaffold.dimension_code,
        index_weights.weight as dimension_weight,
        scored.dimension_score,
        cast(coalesce(scored.indicators_scored, 0) as integer) as indicators_scored,
        cast(coalesce(scored.indicators_expected, 0) as integer) as indicators_expected,
        cast(coalesce(scored.indicators_expected, 0) - coalesce(scored.indicators_scored, 0)
            as integer) as indicators_missing,
        cast(coalesce(scored.indicators_incomplete, 0) as integer) as indicators_incomplete

    from scaffold
    left join scored
        on scaffold.area_code = scored.area_code
        and scaffold.period_year = scored.period_year
        and scaffold.dimension_code = scored.dimension_code
    left join index_weights
        on scaffold.weight_tier = index_weights.weight_tier
        and scaffold.dimension_code = index_weights.dimension_code
        and {{ is_valid_in_year('index_weights', 'scaffold.period_year', 'valid_from_year', 'valid_to_year') }}

)

select * from final
