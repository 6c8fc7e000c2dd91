-- Published: red / yellow / green warnings per indicator, area and period, annual and
-- monthly/quarterly monitoring (fct_early_warning), labelled for BI tools.
with

warnings as (

    select * from {{ ref('fct_early_warning') }}

),

areas as (

    select
        area_code,
        area_name_zh,
        city_code
    from {{ ref('dim_area') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

final as (

    select
        warnings.area_code,
        areas.area_name_zh,
        warnings.area_level,
        areas.city_code,
        warnings.indicator_code,
        indicators.indicator_name_zh,
        warnings.dimension_code,
        indicators.unit_zh,
        warnings.frequency,
        warnings.period,
        warnings.period_year,
        warnings.period_start,
        warnings.direction,
        warnings.value,
        warnings.warning_basis,
        warnings.warning_measure,
        warnings.warn_yellow,
        warnings.warn_red,
        warnings.threshold_level,
        warnings.worsening_periods,
        warnings.is_worsening_trend,
        warnings.warning_level,
        warnings.is_escalated,
        warnings.is_latest_period

    from warnings
    inner join areas
        on warnings.area_code = areas.area_code
    left join indicators
        on warnings.indicator_code = indicators.indicator_code
        and {{ is_valid_in_year('indicators', 'warnings.period_year') }}

)

select * from final
