-- Dimension overlap (维度重叠): for every year, area level (city, county) and pair of
-- dimensions, the Pearson correlation of the two dimensions' scores (fct_dimension_score)
-- across the areas of that level that have both scores. A pair correlated above
-- dimension_correlation_warning (ref_assessment_parameters) measures much the same
-- thing across areas: the index then counts it twice, and the two dimensions' changes
-- are not independent evidence. The correlation is null when fewer than three areas
-- have both scores or either score is the same for every such area (no variance).
with

dimension_scores as (

    select
        area_code,
        area_level,
        period_year,
        dimension_code,
        dimension_score
    from {{ ref('fct_dimension_score') }}
    where area_level in ('city', 'county')
        and dimension_score is not null

),

dimensions as (

    select
        dimension_code,
        sort_order
    from {{ ref('stg_reference__dimensions') }}

),

dimension_pairs as (

    select
        first_dimension.dimension_code as dimension_code_a,
        second_dimension.dimension_code as dimension_code_b
    from dimensions as first_dimension
    inner join dimensions as second_dimension
        on first_dimension.sort_order < second_dimension.sort_order

),

paired_scores as (

    select
        score_a.period_year,
        score_a.area_level,
        dimension_pairs.dimension_code_a,
        dimension_pairs.dimension_code_b,
        score_a.dimension_score as score_a,
        score_b.dimension_score as score_b
    from dimension_pairs
    inner join dimension_scores as score_a
        on dimension_pairs.dimension_code_a = score_a.dimension_code
    inner join dimension_scores as score_b
        on dimension_pairs.dimension_code_b = score_b.dimension_code
        and score_a.area_code = score_b.area_code
        and score_a.period_year = score_b.period_year

),

correlated as (

    select
        period_year,
        area_level,
        dimension_code_a,
        dimension_code_b,
        cast(count(*) as integer) as areas_compared,
        var_pop(score_a) as variance_a,
        var_pop(score_b) as variance_b,
        corr(score_a, score_b) as pearson_correlation
    from paired_scores
    group by period_year, area_level, dimension_code_a, dimension_code_b

),

final as (

    select
        period_year,
        area_level,
        dimension_code_a,
        dimension_code_b,
        areas_compared,
        case
            when areas_compared >= 3 and variance_a > 0 and variance_b > 0
                then least(1.0, greatest(-1.0, pearson_correlation))
        end as correlation,
        {{ assessment_parameter('dimension_correlation_warning') }} as warning_threshold,
        case
            when areas_compared >= 3 and variance_a > 0 and variance_b > 0
                then pearson_correlation > {{ assessment_parameter('dimension_correlation_warning') }}
        end as is_over_threshold

    from correlated

)

select * from final
