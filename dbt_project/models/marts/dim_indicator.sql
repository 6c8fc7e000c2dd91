-- The indicator catalogue (versioned): one row per indicator definition and the check
-- years it applies to. An indicator whose definition changed has one row per version;
-- join facts on indicator_code and period_year between check_year_from and
-- coalesce(check_year_to, period_year). is_current marks the version of var('check_year').
with

catalogue as (

    select * from {{ ref('stg_reference__indicators') }}

),

dimensions as (

    select
        dimension_code,
        dimension_name_zh,
        dimension_name_en
    from {{ ref('stg_reference__dimensions') }}

),

final as (

    select
        catalogue.indicator_code,
        catalogue.check_year_from,
        catalogue.check_year_to,
        {{ is_valid_in_year('catalogue', check_year()) }} as is_current,
        catalogue.indicator_name_zh,
        catalogue.indicator_name_en,
        catalogue.dimension_code,
        dimensions.dimension_name_zh,
        dimensions.dimension_name_en,
        catalogue.spatial_level,
        catalogue.unit_zh,
        catalogue.direction,
        catalogue.frequency,
        catalogue.department_code,
        catalogue.formula_zh,
        catalogue.numerator_variable,
        catalogue.denominator_variable,
        catalogue.multiplier,
        catalogue.aggregation,
        catalogue.standard_value,
        catalogue.target_low,
        catalogue.target_high,
        catalogue.score_zero_at,
        catalogue.warn_yellow,
        catalogue.warn_red,
        catalogue.valid_min,
        catalogue.valid_max,
        catalogue.typical_low,
        catalogue.typical_high,
        catalogue.indicator_weight,
        catalogue.is_jiangxi_specific,
        catalogue.reference_zh,
        catalogue.standard_source_zh,
        catalogue.score_zero_source_zh,
        catalogue.warning_source_zh,
        catalogue.weight_source_zh,
        catalogue.score_per_variable,
        catalogue.score_per_multiplier,
        catalogue.score_unit_zh

    from catalogue
    left join dimensions
        on catalogue.dimension_code = dimensions.dimension_code

)

select * from final
