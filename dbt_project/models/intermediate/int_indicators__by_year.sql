-- The catalogue as it applies to each check year: one row per indicator × year for
-- every year with promoted department data up to var('check_year'), using the
-- catalogue version whose [check_year_from, check_year_to] holds that year.
with

catalogue as (

    select * from {{ ref('ref_indicators') }}

),

data_years as (

    select distinct period_year
    from {{ ref('stg_departments__values') }}
    where period_year <= {{ var('check_year') }}

),

final as (

    select
        data_years.period_year,
        catalogue.indicator_code,
        catalogue.dimension_code,
        catalogue.spatial_level,
        catalogue.unit_zh,
        catalogue.frequency,
        catalogue.direction,
        catalogue.aggregation,
        catalogue.numerator_variable,
        nullif(trim(catalogue.denominator_variable), '') as denominator_variable,
        coalesce(cast(catalogue.multiplier as double), 1.0) as multiplier,
        cast(catalogue.standard_value as double) as standard_value,
        cast(catalogue.target_low as double) as target_low,
        cast(catalogue.target_high as double) as target_high,
        cast(catalogue.score_zero_at as double) as score_zero_at,
        cast(catalogue.warn_yellow as double) as warn_yellow,
        cast(catalogue.warn_red as double) as warn_red,
        cast(catalogue.valid_min as double) as valid_min,
        cast(catalogue.valid_max as double) as valid_max,
        coalesce(cast(catalogue.weight as double), 1.0) as indicator_weight,
        cast(catalogue.check_year_from as integer) as check_year_from,
        cast(catalogue.check_year_to as integer) as check_year_to

    from catalogue
    inner join data_years
        on data_years.period_year >= cast(catalogue.check_year_from as integer)
        and (
            catalogue.check_year_to is null
            or data_years.period_year <= cast(catalogue.check_year_to as integer)
        )

)

select * from final
