-- The four-level check's score per level (住房 · 小区(社区) · 街区 · 城区) and overall,
-- per area and check year, by the index's rule (macro weighted_score_mean; doc block
-- index_method, steps 3 and 4): a level's score is the weighted mean of its indicators'
-- scores (catalogue weight), a missing indicator counting as index_gap_score; the
-- overall score (level_code 'overall') is the weighted mean of the level scores with
-- the levels' weights (ref_framework_sections), a level without any score counting as
-- index_gap_score.
with

scores as (

    select * from {{ ref('fct_object_indicator_score') }}

),

levels as (

    select
        framework_code,
        level_code,
        section_code,
        level_weight,
        check_year_from,
        check_year_to
    from {{ ref('stg_reference__framework_sections') }} as sections
    where section_kind = 'level'

),

by_level as (

    select
        scores.area_code,
        any_value(scores.area_level) as area_level,
        scores.period_year,
        scores.framework_code,
        scores.level_code,
        {{ weighted_score_mean('scores.score', 'scores.indicator_weight') }} as level_score,
        count(scores.score) as indicators_scored,
        count(*) as indicators_expected,
        count(*) filter (where scores.score is not null and not scores.is_complete)
            as indicators_incomplete

    from scores
    group by scores.area_code, scores.period_year, scores.framework_code, scores.level_code

),

weighted as (

    select
        by_level.*,
        levels.level_weight
    from by_level
    inner join levels
        on by_level.framework_code = levels.framework_code
        and by_level.level_code = levels.level_code
        and {{ is_valid_in_year('levels', 'by_level.period_year') }}

),

overall as (

    select
        area_code,
        any_value(area_level) as area_level,
        period_year,
        framework_code,
        'overall' as level_code,
        {{ weighted_score_mean('level_score', 'level_weight') }} as level_score,
        cast(sum(indicators_scored) as bigint) as indicators_scored,
        cast(sum(indicators_expected) as bigint) as indicators_expected,
        cast(sum(indicators_incomplete) as bigint) as indicators_incomplete,
        cast(null as double) as level_weight

    from weighted
    group by area_code, period_year, framework_code

),

final as (

    select
        area_code,
        area_level,
        period_year,
        framework_code,
        level_code,
        level_weight,
        level_score,
        indicators_scored,
        indicators_expected,
        indicators_expected - indicators_scored as indicators_missing,
        indicators_incomplete
    from weighted

    union all

    select
        area_code,
        area_level,
        period_year,
        framework_code,
        level_code,
        level_weight,
        level_score,
        indicators_scored,
        indicators_expected,
        indicators_expected - indicators_scored as indicators_missing,
        indicators_incomplete
    from overall

)

select * from final
