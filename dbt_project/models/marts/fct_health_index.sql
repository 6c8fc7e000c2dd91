-- The city health index (城市健康指数): one row per area × year with the eight dimension
-- scores side by side, the index = Σ dimension weight × dimension score over the
-- dimensions expected for the area (weights of the area's tier; a dimension without a
-- score counts as index_gap_score, macro weighted_score_mean), its coverage, and the
-- rank among the cities of the province. Only cities whose indicator coverage reaches
-- rank_min_indicator_coverage are ranked; the others get a null rank and the reason.
-- Beside it the attainment: how many of the scored indicators attain their standard
-- and how many score 100.
with

dimension_scores as (

    select * from {{ ref('fct_dimension_score') }}

),

indicator_scores as (

    select * from {{ ref('fct_indicator_score') }}

),

-- attainment beside the index (an index near 100 can stand on few attained standards)
attainment as (

    select
        area_code,
        period_year,
        cast(count(*) filter (where is_attained) as integer) as indicators_attained,
        cast(count(*) filter (where score = 100) as integer) as indicators_at_100
    from indicator_scores
    group by area_code, period_year

),

area_index as (

    select
        area_code,
        area_level,
        weight_tier,
        period_year,
        {% for code in dimension_codes() -%}
        max(dimension_score) filter (where dimension_code = '{{ code }}')
            as score_{{ code | lower }},
        {% endfor -%}
        {{ weighted_score_mean('dimension_score', 'dimension_weight', 'indicators_expected > 0') }}
            as health_index,
        cast(count(dimension_score) as integer) as dimensions_scored,
        cast(sum(indicators_scored) as integer) as indicators_scored,
        cast(sum(indicators_expected) as integer) as indicators_expected,
        cast(sum(indicators_missing) as integer) as indicators_missing,
        cast(sum(indicators_incomplete) as integer) as indicators_incomplete

    from dimension_scores
    group by area_code, area_level, weight_tier, period_year

),

rank_eligibility as (

    select
        *,
        area_level = 'city'
            and health_index is not null
            and 1.0 * indicators_scored / nullif(indicators_expected, 0)
                >= {{ assessment_parameter('rank_min_indicator_coverage') }}
            as is_ranked
    from area_index

),

city_ranks as (

    select
        area_code,
        period_year,
        cast(rank() over (partition by period_year order by health_index desc) as integer)
            as rank_in_province
    from rank_eligibility
    where is_ranked

),

final as (

    select
        area_index.area_code,
        area_index.area_level,
        area_index.weight_tier,
        area_index.period_year,
        {% for code in dimension_codes() -%}
        area_index.score_{{ code | lower }},
        {% endfor -%}
        area_index.health_index,
        city_ranks.rank_in_province,
        case
            when area_index.area_level <> 'city' or area_index.is_ranked then null
            when area_index.health_index is null then '无可评分指标，不参与排名'
            else '指标覆盖率不足'
                || {{ format_number('100 * ' ~ assessment_parameter('rank_min_indicator_coverage')) }}
                || '%，不参与排名'
        end as rank_withheld_reason,
        area_index.dimensions_scored,
        area_index.indicators_scored,
        area_index.indicators_expected,
        area_index.indicators_missing,
        area_index.indicators_incomplete,
        round(
            100.0 * area_index.indicators_scored / nullif(area_index.indicators_expected, 0), 1
        ) as indicator_coverage_pct,
        attainment.indicators_attained,
        round(
            100.0 * attainment.indicators_attained / nullif(area_index.indicators_scored, 0), 1
        ) as attainment_pct,
        attainment.indicators_at_100

    from rank_eligibility as area_index
    left join city_ranks
        on area_index.area_code = city_ranks.area_code
        and area_index.period_year = city_ranks.period_year
    left join attainment
        on area_index.area_code = attainment.area_code
        and area_index.period_year = attainment.period_year

)

select * from final
