-- Diagnosis of "city diseases" (城市病诊断): per area and year, the indicators that are a
-- problem, grouped by dimension, each with a plain-language sentence. An indicator is a
-- problem when at least one rule holds:
--   below_standard  the value misses the standard (is_attained = false);
--   worsening       it worsened diagnosis_worsening_years (2) or more years in a row
--                   (goodness below the year before, year after year);
--   bottom_fifth    it ranks in the worst diagnosis_bottom_share (20 %) of the province's
--                   areas of the same level (counties among the counties, cities among
--                   the cities): rank from the worst ≤ ceil(n × share), and not tied
--                   with the best.
-- Values are compared and ranked on their scored_value (fct_indicator_score): the value,
-- or for a count scored per resident (catalogue score_per_variable) the count per
-- million residents, so that a large city is not a problem for being large.
-- Parameters: ref_assessment_parameters. The method: doc block assessment_method.
with

indicator_scores as (

    select * from {{ ref('fct_indicator_score') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

areas as (

    select * from {{ ref('dim_area') }}

),

dimensions as (

    select
        dimension_code,
        dimension_name_zh,
        sort_order as dimension_sort_order
    from {{ ref('stg_reference__dimensions') }}

),

projects as (

    select
        project_id,
        area_code,
        indicator_codes
    from {{ ref('stg_registers__project_progress') }}
    where period_year <= {{ check_year() }}
    qualify row_number() over (partition by project_id order by period desc) = 1

),

with_goodness as (

    select
        *,
        {{ goodness('direction', 'scored_value', 'target_low', 'target_high') }} as goodness
    from indicator_scores

),

with_previous as (

    select
        *,
        lag(goodness) over (
            partition by area_code, indicator_code order by period_year
        ) as previous_goodness,
        lag(period_year) over (
            partition by area_code, indicator_code order by period_year
        ) as previous_year

    from with_goodness

),

with_worse as (

    select
        *,
        goodness < previous_goodness and previous_year = period_year - 1 as is_worse
    from with_previous

),

with_run_group as (

    select
        *,
        {{ worsening_run_group('area_code, indicator_code', 'period_year') }} as run_group
    from with_worse

),

with_run as (

    select
        *,
        {{ worsening_run_length('area_code, indicator_code', 'period_year') }} as worsening_years
    from with_run_group

),

ranked as (

    select
        *,
        count(goodness) over (partition by period_year, indicator_code, area_level)
            as areas_ranked,
        case when goodness is not null then rank() over (
            partition by period_year, indicator_code, area_level
            order by goodness desc nulls last
        ) end as rank_in_level,
        case when goodness is not null then rank() over (
            partition by period_year, indicator_code, area_level
            order by goodness asc nulls last
        ) end as rank_from_worst,
        max(goodness) over (partition by period_year, indicator_code, area_level)
            as best_goodness

    from with_run

),

flagged as (

    select
        *,
        coalesce(not is_attained, false) as is_below_standard,
        worsening_years >= {{ assessment_parameter('diagnosis_worsening_years') }}
            as is_worsening,
        area_level in ('county', 'city')
            and goodness is not null
            and goodness < best_goodness
            and rank_from_worst <= ceil(
                areas_ranked * {{ assessment_parameter('diagnosis_bottom_share') }}
            ) as is_bottom_fifth

    from ranked

),

problems as (

    select * from flagged
    where is_below_standard or is_worsening or is_bottom_fifth

),

described as (

    select
        problems.*,
        indicators.indicator_name_zh,
        indicators.unit_zh,
        indicators.score_per_variable,
        list_filter(
            [
                case
                    when not problems.is_below_standard then null
                    when problems.direction = 'higher_better'
                        then '低于标准值' || {{ format_number('problems.standard_value') }}
                            || coalesce(problems.score_unit_zh, indicators.unit_zh, '')
                    when problems.direction = 'lower_better'
                        then '高于标准值' || {{ format_number('problems.standard_value') }}
                            || coalesce(problems.score_unit_zh, indicators.unit_zh, '')
                    when problems.value < problems.target_low
                        then '低于合理区间下限' || {{ format_number('problems.target_low') }}
                            || coalesce(indicators.unit_zh, '')
                    else '高于合理区间上限' || {{ format_number('problems.target_high') }}
                        || coalesce(indicators.unit_zh, '')
                end,
                case
                    when not problems.is_worsening then null
                    when problems.direction = 'higher_better'
                        then '已连续' || problems.worsening_years || '年下降'
                    when problems.direction = 'lower_better'
                        then '已连续' || problems.worsening_years || '年上升'
                    else '偏离合理区间已连续' || problems.worsening_years || '年扩大'
                end,
                case
                    when not problems.is_bottom_fifth then null
                    else '在全省' || problems.areas_ranked
                        || case problems.area_level when 'city' then '个设区市' else '个县(市、区)' end
                        || '中排第' || problems.rank_in_level || '位，处于后'
                        || {{ format_number(
                            '100 * ' ~ assessment_parameter('diagnosis_bottom_share')
                        ) }} || '%'
                end
            ],
            lambda part: part is not null
        ) as parts

    from problems
    left join indicators
        on problems.indicator_code = indicators.indicator_code
        and {{ is_valid_in_year('indicators', 'problems.period_year') }}

),

with_projects as (

    select
        described.area_code,
        described.period_year,
        described.indicator_code,
        count(distinct projects.project_id) as projects_treating

    from described
    inner join areas
        on described.area_code = areas.area_code
    inner join areas as project_areas
        on project_areas.area_level = 'county'
        and (
            areas.area_level = 'province'
            or project_areas.area_code = described.area_code
            or project_areas.city_code = described.area_code
        )
    inner join projects
        on projects.area_code = project_areas.area_code
        and list_contains(projects.indicator_codes, described.indicator_code)
    group by described.area_code, described.period_year, described.indicator_code

),

final as (

    select
        described.area_code,
        areas.area_name_zh,
        described.area_level,
        areas.city_code,
        described.period_year,
        described.dimension_code,
        dimensions.dimension_name_zh,
        dimensions.dimension_sort_order,
        described.indicator_code,
        described.indicator_name_zh,
        described.unit_zh,
        described.direction,
        described.value,
        described.scored_value,
        described.score_unit_zh,
        described.standard_value,
        described.target_low,
        described.target_high,
        described.score,
        described.is_below_standard,
        described.worsening_years,
        described.is_worsening,
        cast(described.rank_in_level as integer) as rank_in_level,
        cast(described.areas_ranked as integer) as areas_ranked,
        coalesce(described.is_bottom_fifth, false) as is_bottom_fifth,
        list_filter(
            [
                case when described.is_below_standard then 'below_standard' end,
                case when described.is_worsening then 'worsening' end,
                case when described.is_bottom_fifth then 'bottom_fifth' end
            ],
            lambda problem: problem is not null
        ) as problem_types,
        cast(len(described.parts) as integer) as problems_count,
        coalesce(described.indicator_name_zh, described.indicator_code)
            || '为' || {{ format_number('described.value') }} || coalesce(described.unit_zh, '')
            || case
                when described.score_per_variable is not null
                    then '（' || {{ format_number('described.scored_value') }}
                        || coalesce(described.score_unit_zh, '') || '）'
                else ''
            end
            || '，'
            || case len(described.parts)
                when 1 then described.parts[1]
                when 2 then described.parts[1] || '，且' || described.parts[2]
                else described.parts[1] || '，' || described.parts[2] || '，且' || described.parts[3]
            end
            || '。' as description_zh,
        cast(coalesce(with_projects.projects_treating, 0) as integer) as projects_treating

    from described
    inner join areas
        on described.area_code = areas.area_code
    left join dimensions
        on described.dimension_code = dimensions.dimension_code
    left join with_projects
        on described.area_code = with_projects.area_code
        and described.period_year = with_projects.period_year
        and described.indicator_code = with_projects.indicator_code

)

select * from final
