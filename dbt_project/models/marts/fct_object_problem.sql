-- The problems of the four-level check found object by object (问题清单): one row per
-- problem and check year it was found in. A problem is an object's finding on a flag or
-- gap indicator (a measure is a district's figure, not a problem); its id is stable
-- across years: object_id || ':' || indicator_code. Beside it: the first and last year it
-- was found, its latest treatment (整治台账: the latest report month up to the check
-- year, with its project) and the re-check of the next year (复查): the object surveyed
-- again in the next year and the problem not found = passed (复查已销号), found again =
-- failed (复查未通过); not_rechecked while the object has not been surveyed again.
with

catalogue as (

    select * from {{ ref('stg_reference__object_indicators') }}

),

objects as (

    select * from {{ ref('stg_objects__register') }}
    where period_year <= {{ check_year() }}

),

findings as (

    select * from {{ ref('stg_objects__findings') }}
    where period_year <= {{ check_year() }}

),

treatment as (

    select * from {{ ref('stg_objects__treatment') }}
    where period_year <= {{ check_year() }}

),

areas as (

    select
        area_code,
        city_code
    from {{ ref('stg_reference__areas') }}

),

found as (

    select
        findings.object_id || ':' || findings.indicator_code as problem_id,
        findings.object_id,
        findings.indicator_code,
        findings.period_year,
        catalogue.level_code,
        catalogue.framework_code,
        objects.object_kind,
        objects.county_code,
        areas.city_code,
        findings.finding_value,
        findings.finding_zh

    from findings
    inner join objects
        on findings.object_id = objects.object_id
        and findings.period_year = objects.period_year
    inner join catalogue
        on findings.indicator_code = catalogue.indicator_code
        and objects.object_kind = catalogue.object_kind
    left join areas
        on objects.county_code = areas.area_code
    where catalogue.finding_kind in ('flag', 'gap')
        and coalesce(findings.finding_value, 1) <> 0

),

latest_treatment as (

    select
        problem_id,
        arg_max(status, period) as treatment_status,
        max(period) as treatment_period,
        arg_max(project_id, period) filter (where project_id is not null) as project_id,
        max(rectified_on) filter (where status = 'rectified') as rectified_on
    from treatment
    group by problem_id

),

with_history as (

    select
        found.*,
        min(found.period_year) over (partition by found.problem_id) as first_year_found,
        max(found.period_year) over (partition by found.problem_id) as last_year_found,
        count(*) over (partition by found.problem_id) as years_found

    from found

),

final as (

    select
        with_history.problem_id,
        with_history.object_id,
        with_history.object_kind,
        with_history.indicator_code,
        with_history.framework_code,
        with_history.level_code,
        with_history.county_code,
        with_history.city_code,
        with_history.period_year,
        with_history.finding_value,
        with_history.finding_zh,
        with_history.first_year_found,
        with_history.last_year_found,
        cast(with_history.years_found as integer) as years_found,
        latest_treatment.treatment_status,
        latest_treatment.treatment_period,
        latest_treatment.project_id,
        latest_treatment.rectified_on,
        case
            when next_found.problem_id is not null then 'failed'
            when next_survey.object_id is not null then 'passed'
            else 'not_rechecked'
        end as recheck_outcome

    from with_history
    left join latest_treatment
        on with_history.problem_id = latest_treatment.problem_id
    left join objects as next_survey
        on with_history.object_id = next_survey.object_id
        and next_survey.period_year = with_history.period_year + 1
    left join found as next_found
        on with_history.problem_id = next_found.problem_id
        and next_found.period_year = with_history.period_year + 1

)

select * from final
