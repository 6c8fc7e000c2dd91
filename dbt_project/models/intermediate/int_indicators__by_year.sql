-- The catalogue as it applies to each check year: one row per indicator × year for
-- every year with promoted department data up to var('check_year'), using the
-- catalogue version whose [check_year_from, check_year_to] holds that year.
with

catalogue as (

    select * from {{ ref('stg_reference__indicators') }}

),

data_years as (

    select distinct period_year
    from {{ ref('stg_departments__values') }}
    where period_year <= {{ check_year() }}

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
        catalogue.denominator_variable,
        catalogue.multiplier,
        catalogue.score_per_variable,
        catalogue.score_per_multiplier,
        catalogue.score_unit_zh,
        catalogue.standard_value,
        catalogue.target_low,
        catalogue.target_high,
        catalogue.score_zero_at,
        catalogue.warn_yellow,
        catalogue.warn_red,
        catalogue.valid_min,
        catalogue.valid_max,
        catalogue.indicator_weight,
        catalogue.check_year_from,
        catalogue.check_year_to

    from catalogue
    inner join data_years
        on {{ is_valid_in_year('catalogue', 'data_years.period_year') }}

)

select * from final
