-- Cities and the province from their counties (data are always delivered per county).
-- The catalogue's aggregation decides how:
--   ratio          Σ numerator / Σ denominator × multiplier (never a mean of ratios)
--   sum            Σ numerator × multiplier
--   weighted_mean  Σ (resident population × county value) / Σ resident population
-- over the counties that reported (for weighted_mean: that also have a population).
-- counties_reported / counties_expected is the coverage. A gap never helps an area:
--   sum                     every county must report, else the value is null (a total
--                           without a county is not the area's total);
--   ratio, weighted_mean    at least rollup_min_county_coverage (ref_assessment_parameters)
--                           of the counties must report, else null; above it the value is
--                           computed from the reporting counties and is_complete = false.
-- null_reason says why a value is null. scale_value is Σ of the counties' values of the
-- catalogue's score_per_variable (the size a count is scored per), null unless every
-- county has one.
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
        county_values.scale_value,
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
        -- exact sums: the result does not depend on the order of the rows (macro exact_sum)
        {{ exact_sum('numerator', 'is_contributing') }} as numerator_sum,
        {{ exact_sum('denominator', 'is_contributing') }} as denominator_sum,
        {{ exact_sum('population * value', 'is_contributing') }}
            as population_weighted_value_sum,
        {{ exact_sum('population * numerator', 'is_contributing') }}
            as population_weighted_numerator_sum,
        {{ exact_sum('population', 'is_contributing') }} as population_sum,
        case when count(scale_value) = count(*) then {{ exact_sum('scale_value') }} end
            as scale_value,
        list_sort(list_distinct(flatten(
            coalesce(list(batch_ids) filter (where is_contributing), [])
        ))) as batch_ids

    from contributions
    group by rollup_area_code, period_year, indicator_code

),

with_rule as (

    select
        aggregated.*,
        case
            when aggregated.counties_reported = 0 then 'no_county_reported'
            when aggregated.aggregation = 'sum'
                and aggregated.counties_reported < aggregated.counties_expected
                then 'sum_incomplete'
            when aggregated.aggregation <> 'sum'
                and 1.0 * aggregated.counties_reported / aggregated.counties_expected
                    < {{ assessment_parameter('rollup_min_county_coverage') }}
                then 'coverage_below_minimum'
        end as withheld_reason

    from aggregated

),

computed as (

    select
        with_rule.*,
        case
            when with_rule.withheld_reason is not null then null
            when with_rule.aggregation = 'ratio' and with_rule.denominator_sum is not null
                then with_rule.numerator_sum / nullif(with_rule.denominator_sum, 0)
                    * with_rule.multiplier
            when with_rule.aggregation = 'weighted_mean'
                then with_rule.population_weighted_value_sum
                    / nullif(with_rule.population_sum, 0)
            else with_rule.numerator_sum * with_rule.multiplier
        end as rolled_up_value

    from with_rule

),

final as (

    select
        aggregated.area_code,
        areas.area_level,
        aggregated.period_year,
        aggregated.indicator_code,
        aggregated.aggregation,
        -- a withheld value keeps no partial sums either
        case
            when aggregated.withheld_reason is not null then null
            when aggregated.aggregation = 'weighted_mean'
                then aggregated.population_weighted_numerator_sum
                    / nullif(aggregated.population_sum, 0)
            else aggregated.numerator_sum
        end as numerator,
        case
            when aggregated.withheld_reason is null and aggregated.aggregation = 'ratio'
                then aggregated.denominator_sum
        end as denominator,
        aggregated.rolled_up_value as value,
        aggregated.population_sum,
        aggregated.scale_value,
        aggregated.batch_ids,
        cast(aggregated.counties_reported as integer) as counties_reported,
        cast(aggregated.counties_expected as integer) as counties_expected,
        aggregated.counties_reported = aggregated.counties_expected as is_complete,
        case
            when aggregated.withheld_reason is not null then aggregated.withheld_reason
            when aggregated.rolled_up_value is null then 'not_computable'
        end as null_reason

    from computed as aggregated
    inner join areas
        on aggregated.area_code = areas.area_code

)

select * from final
