-- Cities and the province from their counties (data are always delivered per county).
-- The catalogue's aggregation decides how:
--   ratio          Σ numerator / Σ denominator × multiplier (never a mean of ratios)
--   sum            Σ numerator × multiplier
--   weighted_mean  Σ (resident population × county value) / Σ resident population
-- over the counties that reported (for weighted_mean: that also have a population).
-- counties_reported / counties_expected is the coverage; a roll-up from part of the
-- counties is still computed and marked is_complete = false.
with

county_values as (

    select * from {{ ref('int_indicator_values__county') }}

),

areas as (

    select
        area_code,
        area_level,
        city_code
    from {{ ref('stg_reference__areas') }}

),

-- every county belongs to its city and to the province
memberships as (

    select
        counties.area_code as county_code,
        counties.city_code as rollup_area_code
    from areas as counties
    where counties.area_level = 'county'

    union all

    select
        counties.area_code as county_code,
        province.area_code as rollup_area_code
    from areas as counties
    cross join areas as province
    where counties.area_level = 'county'
        and province.area_level = 'province'

),

contributions as (

    select
        memberships.rollup_area_code,
        county_values.period_year,
        county_values.indicator_code,
        county_values.aggregation,
        county_values.multiplier,
        county_values.numerator,
        county_values.denominator,
        county_values.value,
        county_values.population,
        county_values.batch_ids,
        county_values.has_value
        and (
            county_values.aggregation <> 'weighted_mean'
            or coalesce(county_values.population, 0) > 0
        ) as is_contributing

    from county_values
    inner join memberships
        on county_values.area_code = memberships.county_code

),

aggregated as (

    select
        rollup_area_code as area_code,
        period_year,
        indicator_code,
        any_value(aggregation) as aggregation,
        any_value(multiplier) as multiplier,
        count(*) as counties_expected,
        count(*) filter (where is_contributing) as counties_reported,
        sum(numerator) filter (where is_contributing) as numerator_sum,
        sum(denominator) filter (where is_contributing) as denominator_sum,
        sum(population * value) filter (where is_contributing) as population_weighted_value_sum,
        sum(population * numerator) filter (where is_contributing)
            as population_weighted_numerator_sum,
        sum(population) filter (where is_contributing) as population_sum,
        list_sort(list_distinct(flatten(
            coalesce(list(batch_ids) filter (where is_contributing), [])
        ))) as batch_ids

    from contributions
    group by rollup_area_code, period_year, indicator_code

),

final as (

    select
        aggregated.area_code,
        areas.area_level,
        aggregated.period_year,
        aggregated.indicator_code,
        aggregated.aggregation,
        case aggregated.aggregation
            when 'weighted_mean'
                then aggregated.population_weighted_numerator_sum
                    / nullif(aggregated.population_sum, 0)
            else aggregated.numerator_sum
        end as numerator,
        case
            when aggregated.aggregation = 'ratio' then aggregated.denominator_sum
        end as denominator,
        case
            when aggregated.counties_reported = 0 then null
            when aggregated.aggregation = 'ratio' and aggregated.denominator_sum is not null
                then aggregated.numerator_sum / nullif(aggregated.denominator_sum, 0)
                    * aggregated.multiplier
            when aggregated.aggregation = 'weighted_mean'
                then aggregated.population_weighted_value_sum
                    / nullif(aggregated.population_sum, 0)
            else aggregated.numerator_sum * aggregated.multiplier
        end as value,
        aggregated.population_sum,
        aggregated.batch_ids,
        cast(aggregated.counties_reported as integer) as counties_reported,
        cast(aggregated.counties_expected as integer) as counties_expected,
        aggregated.counties_reported = aggregated.counties_expected as is_complete

    from aggregated
    inner join areas
        on aggregated.area_code = areas.area_code

)

select * from final
