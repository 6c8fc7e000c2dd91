-- Annual appraisal (每年度考核) of every city and county with data, in three visible parts,
-- each a score 0–100, weighted by ref_assessment_weights (composite annual_appraisal):
--   check_quality     quality of the check results (体检成果质量): the mean of
--                       indicator_coverage_pct   indicators scored / expected (fct_health_index);
--                       validation_pass_pct      deliveries of the year's periods that passed
--                                                validation: (promoted + superseded) /
--                                                (promoted + superseded + quarantined), raw.load_batches
--                                                (deliveries are province-wide: same for all areas);
--                       reconciliation_pass_pct  third-party checks of the area's counties within
--                                                tolerance (fct_reconciliation);
--   project_delivery  renewal projects of the area at the last reported month of the year,
--                     those with planned progress > 0: mean of min(100, 100 × actual / planned);
--   satisfaction      the overall satisfaction score (fct_satisfaction, dimension ALL).
-- Beside the parts, not weighted: the treatment of the area's own problem list of the
-- year (fct_problem_history, every problem on the list with a value that year):
-- share_problems_with_projects (a project treating it had started) and
-- share_problems_resolved (status resolved), 0–1; null when the list is empty.
-- A part without data drops out and the weights of the others are re-normalised
-- (parts_scored); rank_in_level ranks cities among cities and counties among counties.
with

areas as (

    select
        area_code,
        area_level,
        city_code
    from {{ ref('dim_area') }}
    where area_level in ('city', 'county')

),

health_index as (

    select
        area_code,
        period_year,
        indicator_coverage_pct
    from {{ ref('fct_health_index') }}

),

batches as (

    select
        cast(substr(period, 1, 4) as integer) as period_year,
        status
    from {{ ref('stg_load__batches') }}
    where status in ('promoted', 'superseded', 'quarantined')
        and regexp_matches(period, '^[0-9]{4}')

),

validation as (

    select
        period_year,
        count(*) as batches_validated,
        count(*) filter (where status in ('promoted', 'superseded')) as batches_passed,
        100.0 * count(*) filter (where status in ('promoted', 'superseded')) / count(*)
            as validation_pass_pct
    from batches
    where period_year <= {{ check_year() }}
    group by period_year

),

reconciliation as (

    select
        area_code,
        city_code,
        period_year,
        is_over_tolerance
    from {{ ref('fct_reconciliation') }}
    where is_over_tolerance is not null

),

reconciliation_by_area as (

    select
        area_code,
        period_year,
        count(*) as third_party_checks,
        100.0 * count(*) filter (where not is_over_tolerance) / count(*) as reconciliation_pass_pct
    from reconciliation
    group by area_code, period_year

    union all

    select
        city_code as area_code,
        period_year,
        count(*) as third_party_checks,
        100.0 * count(*) filter (where not is_over_tolerance) / count(*) as reconciliation_pass_pct
    from reconciliation
    group by city_code, period_year

),

projects as (

    select * from {{ ref('fct_project_progress_monthly') }}
    qualify report_month = max(report_month) over (partition by period_year)

),

projects_by_area as (

    select
        area_code,
        period_year,
        count(*) as projects_total,
        count(*) filter (where is_completed) as projects_completed,
        count(*) filter (where is_overdue) as projects_overdue,
        {{ exact_mean('least(100.0, 100.0 * actual_progress_pct / planned_progress_pct)',
            'planned_progress_pct > 0') }} as project_delivery_score
    from projects
    group by area_code, period_year

    union all

    select
        city_code as area_code,
        period_year,
        count(*) as projects_total,
        count(*) filter (where is_completed) as projects_completed,
        count(*) filter (where is_overdue) as projects_overdue,
        {{ exact_mean('least(100.0, 100.0 * actual_progress_pct / planned_progress_pct)',
            'planned_progress_pct > 0') }} as project_delivery_score
    from projects
    group by city_code, period_year

),

satisfaction as (

    select
        area_code,
        period_year,
        satisfaction_score,
        respondents
    from {{ ref('fct_satisfaction') }}
    where is_overall

),

problem_shares as (

    select
        area_code,
        period_year,
        count(*) as problems_listed,
        1.0 * count(*) filter (where has_started_project) / count(*)
            as share_problems_with_projects,
        1.0 * count(*) filter (where status = 'resolved') / count(*)
            as share_problems_resolved
    from {{ ref('fct_problem_history') }}
    group by area_code, period_year

),

weights as (

    select
        part_code,
        weight,
        valid_from_year,
        valid_to_year
    from {{ ref('stg_reference__assessment_weights') }}
    where composite = 'annual_appraisal'

),

area_years as (

    select area_code, period_year from health_index
    union
    select area_code, period_year from projects_by_area
    union
    select area_code, period_year from satisfaction

),

joined as (

    select
        areas.area_code,
        areas.area_level,
        areas.city_code,
        area_years.period_year,
        health_index.indicator_coverage_pct,
        validation.validation_pass_pct,
        validation.batches_validated,
        reconciliation_by_area.reconciliation_pass_pct,
        reconciliation_by_area.third_party_checks,
        projects_by_area.projects_total,
        projects_by_area.projects_completed,
        projects_by_area.projects_overdue,
        projects_by_area.project_delivery_score,
        satisfaction.satisfaction_score,
        satisfaction.respondents,
        problem_shares.problems_listed,
        problem_shares.share_problems_with_projects,
        problem_shares.share_problems_resolved

    from area_years
    inner join areas
        on area_years.area_code = areas.area_code
    left join health_index
        on area_years.area_code = health_index.area_code
        and area_years.period_year = health_index.period_year
    left join validation
        on area_years.period_year = validation.period_year
    left join reconciliation_by_area
        on area_years.area_code = reconciliation_by_area.area_code
        and area_years.period_year = reconciliation_by_area.period_year
    left join projects_by_area
        on area_years.area_code = projects_by_area.area_code
        and area_years.period_year = projects_by_area.period_year
    left join satisfaction
        on area_years.area_code = satisfaction.area_code
        and area_years.period_year = satisfaction.period_year
    left join problem_shares
        on area_years.area_code = problem_shares.area_code
        and area_years.period_year = problem_shares.period_year

),

with_quality as (

    select
        joined.*,
        (
            coalesce(indicator_coverage_pct, 0)
            + coalesce(validation_pass_pct, 0)
            + coalesce(reconciliation_pass_pct, 0)
        ) / nullif(
            (indicator_coverage_pct is not null)::integer
            + (validation_pass_pct is not null)::integer
            + (reconciliation_pass_pct is not null)::integer,
            0
        ) as check_quality_score,
        quality_weight.weight as check_quality_weight,
        project_weight.weight as project_delivery_weight,
        satisfaction_weight.weight as satisfaction_weight

    from joined
    {{ join_part_weight('weights', 'quality_weight', 'check_quality', 'joined.period_year') }}
    {{ join_part_weight('weights', 'project_weight', 'project_delivery', 'joined.period_year') }}
    {{ join_part_weight('weights', 'satisfaction_weight', 'satisfaction', 'joined.period_year') }}

),

scored as (

    select
        *,
        {{ weighted_score_of_scored_parts([
            ['check_quality_score', 'check_quality_weight'],
            ['project_delivery_score', 'project_delivery_weight'],
            ['satisfaction_score', 'satisfaction_weight'],
        ]) }} as appraisal_score,
        {{ parts_scored(['check_quality_score', 'project_delivery_score', 'satisfaction_score']) }}
            as parts_scored

    from with_quality

),

final as (

    select
        area_code,
        area_level,
        city_code,
        period_year,
        indicator_coverage_pct,
        validation_pass_pct,
        cast(batches_validated as integer) as batches_validated,
        reconciliation_pass_pct,
        cast(coalesce(third_party_checks, 0) as integer) as third_party_checks,
        check_quality_score,
        cast(coalesce(projects_total, 0) as integer) as projects_total,
        cast(coalesce(projects_completed, 0) as integer) as projects_completed,
        cast(coalesce(projects_overdue, 0) as integer) as projects_overdue,
        project_delivery_score,
        cast(respondents as integer) as respondents,
        satisfaction_score,
        check_quality_weight,
        project_delivery_weight,
        satisfaction_weight,
        appraisal_score,
        parts_scored,
        cast(case when appraisal_score is not null then rank() over (
            partition by period_year, area_level
            order by appraisal_score desc nulls last
        ) end as integer) as rank_in_level,
        cast(coalesce(problems_listed, 0) as integer) as problems_listed,
        share_problems_with_projects,
        share_problems_resolved

    from scored
    where parts_scored > 0

)

select * from final
