-- Published: self-check values against the provincial third-party measurements per
-- county, year and indicator, with the gap and the tolerance flag (fct_reconciliation).
with

reconciliation as (

    select * from {{ ref('fct_reconciliation') }}

),

areas as (

    select
        area_code,
        area_name_zh
    from {{ ref('dim_area') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

final as (

    select
        reconciliation.area_code,
        areas.area_name_zh,
        reconciliation.city_code,
        reconciliation.period_year,
        reconciliation.indicator_code,
        indicators.indicator_name_zh,
        reconciliation.dimension_code,
        indicators.unit_zh,
        reconciliation.self_check_value,
        reconciliation.third_party_value,
        reconciliation.gap_abs,
        reconciliation.gap_rel,
        reconciliation.relative_tolerance,
        reconciliation.absolute_tolerance,
        reconciliation.is_over_tolerance,
        reconciliation.reconciliation_status,
        reconciliation.assessor,
        reconciliation.measured_on

    from reconciliation
    inner join areas
        on reconciliation.area_code = areas.area_code
    left join indicators
        on reconciliation.indicator_code = indicators.indicator_code
        and {{ is_valid_in_year('indicators', 'reconciliation.period_year') }}

)

select * from final
