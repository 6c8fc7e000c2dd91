-- Reconciliation (核验) of the self-check against the provincial third-party assessment:
-- one row per county × year × indicator the third party measured, with both values, the
-- gap and whether it exceeds the tolerance (ref_assessment_tolerances). The rule is in
-- int_reconciliation__county and the doc block assessment_method.
with

reconciliation as (

    select * from {{ ref('int_reconciliation__county') }}

),

indicators as (

    select
        period_year,
        indicator_code,
        dimension_code
    from {{ ref('int_indicators__by_year') }}

),

final as (

    select
        reconciliation.area_code,
        'county' as area_level,
        reconciliation.city_code,
        reconciliation.period_year,
        reconciliation.indicator_code,
        indicators.dimension_code,
        reconciliation.self_check_value,
        reconciliation.third_party_value,
        reconciliation.gap_abs,
        reconciliation.gap_rel,
        reconciliation.relative_tolerance,
        reconciliation.absolute_tolerance,
        reconciliation.is_over_tolerance,
        reconciliation.reconciliation_status,
        reconciliation.assessor,
        reconciliation.measured_on,
        reconciliation.third_party_batch_id,
        reconciliation.self_check_batch_ids

    from reconciliation
    left join indicators
        on reconciliation.period_year = indicators.period_year
        and reconciliation.indicator_code = indicators.indicator_code

)

select * from final
