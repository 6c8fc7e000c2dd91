-- Rectification of the four-level check's problems (整改率): per level (and all levels),
-- area (county-level unit, city, province) and the check year the problems were found
-- in: how many were found, rectified (latest treatment status rectified), in progress,
-- listed or not yet in the treatment register, and the re-check of the next year. A
-- problem without a treatment row counts as untreated: a register that was not
-- delivered never raises the rate. A city or the province missing an expected district
-- (int_object_indicator_values: counties that surveyed objects of the level's kind)
-- counts against itself as the index's roll-ups do: the counts are null unless every
-- district reported, the rates null below rollup_min_county_coverage and flagged
-- is_complete = false above it.
with

problems as (

    select * from {{ ref('fct_object_problem') }}

),

catalogue as (

    select
        indicator_code,
        level_code
    from {{ ref('stg_reference__object_indicators') }}
    where finding_kind in ('flag', 'gap')

),

areas as (

    select
        area_code,
        area_level,
        city_code
    from {{ ref('stg_reference__areas') }}

),

-- coverage of a level: the counties that surveyed objects of its kind
coverage_by_level as (

    select
        indicator_values.area_code,
        indicator_values.area_level,
        indicator_values.period_year,
        catalogue.level_code,
        max(indicator_values.counties_expected) as counties_expected,
        min(indicator_values.counties_reported) as counties_reported
    from {{ ref('int_object_indicator_values') }} as indicator_values
    inner join catalogue
        on indicator_values.indicator_code = catalogue.indicator_code
    group by indicator_values.area_code, indicator_values.area_level, indicator_values.period_year, catalogue.level_code

),

coverage as (

    select * from coverage_by_level

    union all

    select
        area_code,
        area_level,
        period_year,
        'all' as level_code,
        max(counties_expected) as counties_expected,
        min(counties_reported) as counties_reported
    from coverage_by_level
    group by area_code, area_level, period_year

),

-- every problem counts for its county, its city and the province, in its level and in all
problem_areas as (

    select problems.*, problems.county_code as area_code from problems
    union all
    select problems.*, problems.city_code as area_code from problems
    union all
    select problems.*, province.area_code
    from problems
    cross join areas as province
    where province.area_level = 'province'

),

problem_levels as (

    select *, level_code as rate_level_code from problem_areas
    union all
    select *, 'all' as rate_level_code from problem_areas

),

counted as (

    select
        area_code,
        period_year,
        rate_level_code as level_code,
        count(*) as problems_found,
        count(*) filter (where treatment_status = 'rectified') as problems_rectified,
        count(*) filter (where treatment_status = 'in_progress') as problems_in_progress,
        count(*) filter (where treatment_status = 'listed') as problems_listed,
        count(*) filter (where treatment_status is null) as problems_untreated,
        count(*) filter (where project_id is not null) as problems_with_project,
        count(*) filter (where recheck_outcome = 'passed') as recheck_passed,
        count(*) filter (where recheck_outcome = 'failed') as recheck_failed
    from problem_levels
    group by area_code, period_year, rate_level_code

),

joined as (

    select
        coverage.area_code,
        coverage.area_level,
        coverage.period_year,
        coverage.level_code,
        coverage.counties_expected,
        coverage.counties_reported,
        coverage.counties_reported = coverage.counties_expected as is_complete,
        1.0 * coverage.counties_reported / nullif(coverage.counties_expected, 0)
            >= {{ assessment_parameter('rollup_min_county_coverage') }} as has_rate_coverage,
        coalesce(counted.problems_found, 0) as problems_found,
        coalesce(counted.problems_rectified, 0) as problems_rectified,
        coalesce(counted.problems_in_progress, 0) as problems_in_progress,
        coalesce(counted.problems_listed, 0) as problems_listed,
        coalesce(counted.problems_untreated, 0) as problems_untreated,
        coalesce(counted.problems_with_project, 0) as problems_with_project,
        coalesce(counted.recheck_passed, 0) as recheck_passed,
        coalesce(counted.recheck_failed, 0) as recheck_failed

    from coverage
    left join counted
        on coverage.area_code = counted.area_code
        and coverage.period_year = counted.period_year
        and coverage.level_code = counted.level_code

),

final as (

    select
        area_code,
        area_level,
        period_year,
        level_code,
        {%- for column in ['problems_found', 'problems_rectified', 'problems_in_progress',
                           'problems_listed', 'problems_untreated', 'problems_with_project',
                           'recheck_passed', 'recheck_failed'] %}
        cast(case when is_complete then {{ column }} end as integer) as {{ column }},
        {%- endfor %}
        case when has_rate_coverage
            then cast(round(100.0 * problems_rectified / nullif(problems_found, 0), 1) as double)
        end as rectification_rate_pct,
        case when has_rate_coverage
            then cast(round(
                100.0 * recheck_passed / nullif(recheck_passed + recheck_failed, 0), 1) as double)
        end as recheck_pass_rate_pct,
        counties_expected,
        counties_reported,
        is_complete,
        case
            when counties_reported = 0 then 'no_county_reported'
            when not has_rate_coverage then 'coverage_below_minimum'
            when not is_complete then 'counts_incomplete'
        end as null_reason

    from joined

)

select * from final
