-- The indicator catalogue (versioned): one row per indicator definition and the check
-- years it applies to. An indicator whose definition changed has one row per version;
-- join facts on indicator_code and period_year between check_year_from and
-- coalesce(check_year_to, period_year). is_current marks the version of var('check_year').
with

catalogue as (

    select * from {{ ref('ref_indicators') }}

),

dimensions as (

    select
        dimension_code,
        dimension_name_zh,
        dimension_name_en
    from {{ ref('ref_dimensions') }}

),

final as (

    select
        catalogue.indicator_code,
        cast(catalogue.check_year_from as integer) as check_year_from,
        cast(catalogue.check_year_to as integer) as check_year_to,
        {{ var('check_year') }} >= cast(catalogue.check_year_from as integer)
            and (
                catalogue.check_year_to is null
                or {{ var('check_year') }} <= cast(catalogue.check_year_to as integer)
            ) as is_current,
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
        nullif(trim(catalogue.denominator_variable), '') as denominator_variable,
        coalesce(cast(catalogue.multiplier as double), 1.0) as multiplier,
        catalogue.aggregation,
        cast(catalogue.standard_value as double) as standard_value,
        cast(catalogue.target_low as double) as target_low,
        cast(catalogue.target_high as double) as target_high,
        cast(catalogue.score_zero_at as double) as score_zero_at,
        cast(catalogue.warn_yellow as double) as warn_yellow,
        cast(catalogue.warn_red as double) as warn_red,
        cast(catalogue.valid_min as double) as valid_min,
        cast(catalogue.valid_max as double) as valid_max,
        cast(catalogue.typical_low as double) as typical_low,
        cast(catalogue.typical_high as double) as typical_high,
        coalesce(cast(catalogue.weight as double), 1.0) as indicator_weight,
        cast(catalogue.is_jiangxi_specific as boolean) as is_jiangxi_specific,
        catalogue.reference_zh

    from catalogue
    left join dimensions
        on catalogue.dimension_code = dimensions.dimension_code

)

select * from final
