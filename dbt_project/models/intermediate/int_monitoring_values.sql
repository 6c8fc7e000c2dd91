-- Monitoring values (监测) of the catalogue's monthly and quarterly indicators
-- (ref_indicators.frequency) for every county, city and province and every period the
-- departments' feeds delivered, computed like the annual values: value = numerator /
-- denominator × multiplier from the variables of the period. A denominator the feeds do
-- not carry (a base number such as the built-up area) is the latest annual value of the
-- county up to the period's year (denominator_source = annual); the population that
-- weights weighted_mean roll-ups likewise. Cities and the province are rolled up from
-- their counties with the catalogue's aggregation (see int_indicator_values__rollup).
with

feed_values as (

    select
        area_code,
        period,
        period_year,
        period_type,
        period_number,
        period_start,
        period_end,
        variable_code,
        value,
        batch_id
    from {{ ref('stg_feeds__monitoring_values') }}
    where period_year <= {{ check_year() }}

),

annual_values as (

    select
        area_code,
        period_year,
        variable_code,
        value,
        batch_id
    from {{ ref('stg_departments__values') }}
    where period_year <= {{ check_year() }}
        and value is not null

),

catalogue as (

    select
        indicator_code,
        frequency,
        aggregation,
        numerator_variable,
        denominator_variable,
        multiplier,
        check_year_from,
        check_year_to
    from {{ ref('stg_reference__indicators') }}
    where frequency in ('monthly', 'quarterly')

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

-- the periods in which the feeds delivered the indicator's numerator
indicator_periods as (

    select distinct
        catalogue.indicator_code,
        catalogue.frequency,
        catalogue.aggregation,
        catalogue.numerator_variable,
        catalogue.denominator_variable,
        catalogue.multiplier,
        feed_values.period,
        feed_values.period_year,
        feed_values.period_type,
        feed_values.period_number,
        feed_values.period_start,
        feed_values.period_end

    from catalogue
    inner join feed_values
        on catalogue.numerator_variable = feed_values.variable_code
        and (
            (catalogue.frequency = 'monthly' and feed_values.period_type = 'month')
            or (catalogue.frequency = 'quarterly' and feed_values.period_type = 'quarter')
        )
        and {{ is_valid_in_year('catalogue', 'feed_values.period_year') }}

),

scaffold as (

    select
        counties.area_code,
        counties.city_code,
        indicator_periods.*
    from indicator_periods
    cross join counties

),

with_numerator as (

    select
        scaffold.*,
        numerator_values.value as numerator,
        numerator_values.batch_id as numerator_batch_id,
        denominator_feed.value as denominator_from_feed,
        denominator_feed.batch_id as denominator_feed_batch_id

    from scaffold
    left join feed_values as numerator_values
        on scaffold.area_code = numerator_values.area_code
        and scaffold.period = numerator_values.period
        and scaffold.numerator_variable = numerator_values.variable_code
    left join feed_values as denominator_feed
        on scaffold.area_code = denominator_feed.area_code
        and scaffold.period = denominator_feed.period
        and scaffold.denominator_variable = denominator_feed.variable_code

),

with_annual as (

    select
        with_numerator.*,
        denominator_annual.value as denominator_from_annual,
        denominator_annual.batch_id as denominator_annual_batch_id

    from with_numerator
    asof left join annual_values as denominator_annual
        on with_numerator.area_code = denominator_annual.area_code
        and with_numerator.denominator_variable = denominator_annual.variable_code
        and with_numerator.period_year >= denominator_annual.period_year

),

with_population as (

    select
        with_annual.*,
        population.value as population

    from with_annual
    asof left join (
        select * from annual_values
        where variable_code = '{{ var("population_variable") }}'
    ) as population
        on with_annual.area_code = population.area_code
        and with_annual.period_year >= population.period_year

),

county_values as (

    select
        *,
        coalesce(denominator_from_feed, denominator_from_annual) as denominator,
        case
            when denominator_variable is null then null
            when denominator_from_feed is not null then 'feed'
            when denominator_from_annual is not null then 'annual'
        end as denominator_source,
        case
            when numerator is null then null
            when denominator_variable is null then numerator * multiplier
            when coalesce(denominator_from_feed, denominator_from_annual) is null
                or coalesce(denominator_from_feed, denominator_from_annual) = 0 then null
            else numerator / coalesce(denominator_from_feed, denominator_from_annual) * multiplier
        end as value

    from with_population

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
        sum(county_values.numerator) filter (where county_values.value is not null)
            as numerator_sum,
        sum(county_values.denominator) filter (where county_values.value is not null)
            as denominator_sum,
        sum(county_values.population * county_values.value)
            filter (where county_values.value is not null and county_values.population > 0)
            as population_weighted_value_sum,
        sum(county_values.population)
            filter (where county_values.value is not null and county_values.population > 0)
            as population_sum

    from county_values
    inner join memberships
        on county_values.area_code = memberships.county_code
    group by memberships.rollup_area_code, county_values.indicator_code, county_values.period

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
            when rolled_up.aggregation <> 'weighted_mean' then rolled_up.numerator_sum
        end as numerator,
        case when rolled_up.aggregation = 'ratio' then rolled_up.denominator_sum end as denominator,
        null as denominator_source,
        case
            when rolled_up.counties_reported = 0 then null
            when rolled_up.aggregation = 'ratio'
                then rolled_up.numerator_sum / nullif(rolled_up.denominator_sum, 0)
                    * rolled_up.multiplier
            when rolled_up.aggregation = 'weighted_mean'
                then rolled_up.population_weighted_value_sum / nullif(rolled_up.population_sum, 0)
            else rolled_up.numerator_sum * rolled_up.multiplier
        end as value,
        cast(rolled_up.counties_reported as integer) as counties_reported,
        cast(rolled_up.counties_expected as integer) as counties_expected

    from rolled_up
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
