-- The problem list (问题清单) across check years: one row per problem × check year, from
-- the year the problem was first diagnosed (fct_diagnosis) to the check year, for every
-- city and county (the areas that check themselves and run projects; the province's
-- diagnosis stays in fct_diagnosis).
-- A problem is an area × indicator; its id names the first check year in which it was
-- diagnosed, 'P-<area_code>-<indicator_code>-<year>' (e.g. P-360102-HC01-2021), and it
-- keeps that id when it comes back. The status of each check year with a value:
--   resolved         not diagnosed this year (no rule of fct_diagnosis holds);
--   recurring        diagnosed again after a year in which it was resolved;
--   under_treatment  diagnosed, and a renewal project treating it had started by the year
--                    (planned start in or before the year);
--   open             diagnosed, no project treating it had started.
-- A project treats the problem when it names the indicator (针对问题指标) and lies in the
-- area: in the county itself, or in one of the city's counties. Years in which the area has no value for the
-- indicator are left out (nothing was checked). The method: doc block assessment_method.
with

diagnosis as (

    select * from {{ ref('fct_diagnosis') }}
    where period_year <= {{ check_year() }}
        and area_level in ('city', 'county')

),

scores as (

    select
        area_code,
        area_level,
        period_year,
        indicator_code,
        dimension_code,
        direction,
        value,
        scored_value,
        standard_value,
        target_low,
        target_high,
        is_attained,
        score
    from {{ ref('fct_indicator_score') }}
    where period_year <= {{ check_year() }}
        and value is not null

),

areas as (

    select
        area_code,
        area_name_zh,
        area_level,
        city_code
    from {{ ref('dim_area') }}

),

-- the project library as of its latest report up to the check year
projects as (

    select
        project_id,
        area_code as project_area_code,
        indicator_codes,
        planned_start
    from {{ ref('stg_registers__project_progress') }}
    where period_year <= {{ check_year() }}
    qualify row_number() over (partition by project_id order by period desc) = 1

),

problems as (

    select
        area_code,
        indicator_code,
        min(period_year) as first_diagnosed_year,
        'P-' || area_code || '-' || indicator_code || '-' || min(period_year) as problem_id
    from diagnosis
    group by area_code, indicator_code

),

problem_years as (

    select
        problems.problem_id,
        problems.first_diagnosed_year,
        scores.*,
        diagnosis.area_code is not null as is_diagnosed,
        diagnosis.problem_types,
        diagnosis.description_zh

    from problems
    inner join scores
        on problems.area_code = scores.area_code
        and problems.indicator_code = scores.indicator_code
        and scores.period_year >= problems.first_diagnosed_year
    left join diagnosis
        on scores.area_code = diagnosis.area_code
        and scores.indicator_code = diagnosis.indicator_code
        and scores.period_year = diagnosis.period_year

),

-- projects treating the problem: the problem's area contains the project's county
treating as (

    select
        problem_years.problem_id,
        problem_years.period_year,
        list_sort(list(projects.project_id)) as project_ids_in_library,
        list_sort(list(projects.project_id) filter (
            where year(projects.planned_start) <= problem_years.period_year
        )) as project_ids

    from problem_years
    inner join areas as project_area
        on project_area.area_level = 'county'
        and (
            project_area.area_code = problem_years.area_code
            or project_area.city_code = problem_years.area_code
        )
    inner join projects
        on projects.project_area_code = project_area.area_code
        and list_contains(projects.indicator_codes, problem_years.indicator_code)
    group by problem_years.problem_id, problem_years.period_year

),

with_projects as (

    select
        problem_years.*,
        coalesce(treating.project_ids, []::varchar[]) as project_ids,
        coalesce(treating.project_ids_in_library, []::varchar[]) as project_ids_in_library,
        -- resolved in an earlier year of the history (the history starts diagnosed)
        coalesce(bool_or(not problem_years.is_diagnosed) over (
            partition by problem_years.problem_id
            order by problem_years.period_year
            rows between unbounded preceding and 1 preceding
        ), false) as was_resolved_before

    from problem_years
    left join treating
        on problem_years.problem_id = treating.problem_id
        and problem_years.period_year = treating.period_year

),

with_status as (

    select
        *,
        len(project_ids) > 0 as has_started_project,
        case
            when not is_diagnosed then 'resolved'
            when was_resolved_before then 'recurring'
            when len(project_ids) > 0 then 'under_treatment'
            else 'open'
        end as status

    from with_projects

),

final as (

    select
        with_status.problem_id,
        with_status.area_code,
        areas.area_name_zh,
        with_status.area_level,
        areas.city_code,
        with_status.indicator_code,
        with_status.dimension_code,
        with_status.direction,
        cast(with_status.first_diagnosed_year as integer) as first_diagnosed_year,
        cast(with_status.period_year as integer) as period_year,
        with_status.value,
        with_status.scored_value,
        with_status.standard_value,
        with_status.target_low,
        with_status.target_high,
        with_status.is_attained,
        with_status.score,
        with_status.is_diagnosed,
        coalesce(with_status.problem_types, []::varchar[]) as problem_types,
        with_status.description_zh,
        with_status.project_ids,
        cast(len(with_status.project_ids) as integer) as projects_started,
        cast(len(with_status.project_ids_in_library) as integer) as projects_in_library,
        with_status.has_started_project,
        with_status.status,
        lag(with_status.status) over (
            partition by with_status.problem_id order by with_status.period_year
        ) as previous_status,
        with_status.period_year = max(with_status.period_year) over (
            partition by with_status.problem_id
        ) as is_latest_year

    from with_status
    inner join areas
        on with_status.area_code = areas.area_code

)

select * from final
