-- Published: the annual appraisal of cities and counties in its three parts
-- (fct_annual_appraisal), and the treatment of the area's problem list.
with

appraisal as (

    select * from {{ ref('fct_annual_appraisal') }}

),

areas as (

    select
        area_code,
        area_name_zh,
        sort_order
    from {{ ref('dim_area') }}

)

select
    appraisal.area_code,
    areas.area_name_zh,
    appraisal.area_level,
    appraisal.city_code,
    appraisal.period_year,
    appraisal.indicator_coverage_pct,
    appraisal.validation_pass_pct,
    appraisal.reconciliation_pass_pct,
    appraisal.check_quality_score,
    appraisal.projects_total,
    appraisal.projects_completed,
    appraisal.projects_overdue,
    appraisal.project_delivery_score,
    appraisal.respondents,
    appraisal.satisfaction_score,
    appraisal.check_quality_weight,
    appraisal.project_delivery_weight,
    appraisal.satisfaction_weight,
    appraisal.appraisal_score,
    appraisal.parts_scored,
    appraisal.rank_in_level,
    areas.sort_order,
    appraisal.problems_listed,
    appraisal.share_problems_with_projects,
    appraisal.share_problems_resolved

from appraisal
inner join areas
    on appraisal.area_code = areas.area_code
