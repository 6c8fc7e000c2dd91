-- The self-check value of every indicator for every area (county, city, province) and
-- year it applies to: counties as computed from their variables, cities and the
-- province rolled up from their counties. Missing values are rows with a null value,
-- so a reader sees what is missing, not just what is there.
with

county_values as (

    select * from {{ ref('int_indicator_values__county') }}

),

rollup_values as (

    select * from {{ ref('int_indicator_values__rollup') }}

),

unioned as (

    select
        area_code,
        'county' as area_level,
        period_year,
        indicator_code,
        value,
        numerator,
        denominator,
        batch_ids,
        cast(case when has_value then 1 else 0 end as integer) as counties_reported,
        cast(1 as integer) as counties_expected
    from county_values

    union all

    select
        area_code,
        area_level,
        period_year,
        indicator_code,
        value,
        numerator,
        denominator,
        batch_ids,
        counties_reported,
        counties_expected
    from rollup_values

),

final as (

    select
        area_code,
        area_level,
        period_year,
        indicator_code,
        value,
        numerator,
        denominator,
        'self_check' as source,
        batch_ids,
        counties_reported,
        counties_expected,
        counties_reported = counties_expected as is_complete

    from unioned

)

select * from final
