-- Monitoring values (监测) of the monthly and quarterly indicators for every county,
-- city and province and every period the feeds delivered: the counties' values
-- (int_monitoring_values__county) and their roll-up to the cities and the province
-- with the catalogue's aggregation (see int_indicator_values__rollup):
--   ratio Σ numerator / Σ denominator × multiplier, sum Σ numerator × multiplier,
--   weighted_mean Σ (population × value) / Σ population.
-- As for the annual values, a gap never helps: a sum needs every county, a ratio or
-- weighted mean at least rollup_min_county_coverage of them, else the value is null.
with

county_values as (

    select * from {{ ref('int_monitoring_values__county') }}

),

areas as (

    select
        area_code,
        area_level,
        city_code
    from {{ ref('stg_reference__areas') }}

),

counties as (

    select
        area_code,
        city_code
    from areas
    where area_level = 'county'

),

memberships as (

    select
        area_code as county_code,
        city_code as rollup_area_code
    from counties

    union all

    select
        counties.area_code as county_code,
        province.area_code as rollup_area_code
    from counties
    cross join areas as province
    where province.area_level = 'province'

),

rolled_up as (

    select
        memberships.rollup_area_code as area_code,
        county_values.indicator_code,
        county_values.period,
        any_value(county_values.frequency) as frequency,
        any_value(county_values.aggregation) as aggregation,
        any_value(county_values.multiplier) as multiplier,
        any_value(county_values.period_year) as period_year,
        any_value(county_values.period_type) as period_type,
        any_value(county_values.period_number) as period_number,
        any_value(county_values.period_start) as period_start,
        any_value(county_values.period_end) as period_end,
        count(*) as counties_expected,
        count(*) filter (where county_values.value is not null
            and (county_values.aggregation <> 'weighted_mean'
                or coalesce(county_values.population, 0) > 0)) as counties_reported,
        -- exact sums: the result does not depend on the order of the rows (macro exact_sum),
        -- so two periods with the same county values compare as equal
        {{ exact_sum('county_values.numerator', 'county_values.value is not null') }}
            as numerator_sum,
        {{ exact_sum('county_values.denominator', 'county_values.value is not null') }}
            as denominator_sum,
        {{ exact_sum('county_values.population * county_values.value',
            'county_values.value is not null and county_values.population > 0') }}
            as population_weighted_value_sum,
        {{ exact_sum('county_values.population',
            'county_values.value is not null and county_values.population > 0') }}
            as population_sum

    from county_values
    inner join memberships
        on county_values.area_code = memberships.county_code
    group by memberships.rollup_area_code, county_values.indicator_code, county_values.period

),

with_rule as (

    select
        *,
        counties_reported = 0
        or (aggregation = 'sum' and counties_reported < counties_expected)
        or (
            aggregation <> 'sum'
            and 1.0 * counties_reported / counties_expected
                < {{ assessment_parameter('rollup_min_county_coverage') }}
        ) as is_withheld

    from rolled_up

),

unioned as (

    select
        area_code,
        'county' as area_level,
        indicator_code,
        frequency,
        period,
        period_year,
        period_type,
        period_number,
        period_start,
        period_end,
        numerator,
        denominator,
        denominator_source,
        value,
        cast(case when value is not null then 1 else 0 end as integer) as counties_reported,
        cast(1 as integer) as counties_expected

    from county_values

    union all

    select
        rolled_up.area_code,
        areas.area_level,
        rolled_up.indicator_code,
        rolled_up.frequency,
        rolled_up.period,
        rolled_up.period_year,
        rolled_up.period_type,
        rolled_up.period_number,
        rolled_up.period_start,
        rolled_up.period_end,
        case
            when not rolled_up.is_withheld and rolled_up.aggregation <> 'weighted_mean'
                then rolled_up.numerator_sum
        end as numerator,
        case
            when not rolled_up.is_withheld and rolled_up.aggregation = 'ratio'
                then rolled_up.denominator_sum
        end as denominator,
        null as denominator_source,
        case
            when rolled_up.is_withheld then null
            when rolled_up.aggregation = 'ratio'
                then rolled_up.numerator_sum / nullif(rolled_up.denominator_sum, 0)
                    * rolled_up.multiplier
            when rolled_up.aggregation = 'weighted_mean'
                then rolled_up.population_weighted_value_sum / nullif(rolled_up.population_sum, 0)
            else rolled_up.numerator_sum * rolled_up.multiplier
        end as value,
        cast(rolled_up.counties_reported as integer) as counties_reported,
        cast(rolled_up.counties_expected as integer) as counties_expected

    from with_rule as rolled_up
    inner join areas
        on rolled_up.area_code = areas.area_code

),

final as (

    select
        area_code,
        area_level,
        indicator_code,
        frequency,
        period,
        period_year,
        period_type,
        period_number,
        period_start,
        period_end,
        numerator,
        denominator,
        cast(denominator_source as varchar) as denominator_source,
        value,
        counties_reported,
        counties_expected,
        counties_reported = counties_expected as is_complete

    from unioned

)

select * from final
