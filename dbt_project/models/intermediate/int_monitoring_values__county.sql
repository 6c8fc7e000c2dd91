-- Monitoring values (监测) of every county for the catalogue's monthly and quarterly
-- indicators (ref_indicators.frequency) and every period the departments' feeds
-- delivered the indicator's numerator, computed like the annual values: value =
-- numerator / denominator × multiplier from the variables of the period. A denominator
-- the feeds do not carry (a base number such as the built-up area) is the latest annual
-- value of the county up to the period's year (denominator_source = annual); the
-- population that weights weighted_mean roll-ups likewise. int_monitoring_values adds
-- the cities and the province (as int_indicator_values__county / __rollup do for the
-- annual values).
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

counties as (

    select
        area_code,
        city_code
    from {{ ref('stg_reference__areas') }}
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

)

select * from county_values
