-- The alternative normalisation of the rank-uncertainty analysis: a min–max score of
-- each city's indicator value across the cities of the year, 0 for the worst city
-- and 100 for the best, on the value's goodness (macro goodness: the value for
-- higher_better, minus the value for lower_better, minus the distance outside the
-- range for target_range). When every city has the same goodness the score is 100
-- (nobody is behind). A missing value stays a missing score. Beside it the standard
-- score of fct_indicator_score (linear to the standard), so that a simulation can
-- take either.
with

indicator_scores as (

    select * from {{ ref('fct_indicator_score') }}
    where area_level = 'city'

),

with_goodness as (

    select
        area_code,
        period_year,
        indicator_code,
        dimension_code,
        indicator_weight,
        value,
        score as standard_score,
        {{ goodness('direction', 'value', 'target_low', 'target_high') }} as goodness

    from indicator_scores

),

with_range as (

    select
        *,
        min(goodness) over (partition by period_year, indicator_code) as goodness_min,
        max(goodness) over (partition by period_year, indicator_code) as goodness_max

    from with_goodness

),

final as (

    select
        area_code,
        period_year,
        indicator_code,
        dimension_code,
        indicator_weight,
        value,
        goodness,
        goodness_min,
        goodness_max,
        standard_score,
        case
            when goodness is null then null
            when goodness_max = goodness_min then 100.0
            else 100.0 * {{ clamp_0_1('(goodness - goodness_min) / (goodness_max - goodness_min)') }}
        end as min_max_score

    from with_range

)

select * from final
