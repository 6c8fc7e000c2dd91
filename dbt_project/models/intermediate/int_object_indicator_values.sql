-- The values of the four-level check's object indicators (ref_object_indicators): one
-- row per indicator, area (county-level unit = 城区/district, city, province) and check
-- year with surveyed objects, computed from the objects and their findings:
--   count_flagged     the number of objects of the indicator's kind with the finding;
--   sum_gap           the sum of the shortfalls found on them;
--   district_measure  the district objects' measured figure; a city's and the province's
--                     is Σ w × value / Σ w over their districts, w = the catalogue's
--                     rollup_weight attribute of the district object (households, area_m2).
-- size_value is what the value is scored per (score_per): the objects of the kind
-- surveyed in the area, or the sum of their dwellings or households.
-- Which counties a city (and the province) expects in a year: its 市辖区 (county_type
-- district: the check's 城区) and every county that delivered objects in that year or
-- before. A gap never helps, as in the index's roll-ups (index_method, step 1): a count
-- or sum is null unless every expected county surveyed objects of the kind
-- (sum_incomplete: a total without a district is not the city's total); a measure is
-- null below rollup_min_county_coverage and flagged is_complete = false above it.
with

catalogue as (

    select * from {{ ref('stg_reference__object_indicators') }}

),

objects as (

    select * from {{ ref('stg_objects__register') }}
    where period_year <= {{ check_year() }}

),

findings as (

    select * from {{ ref('stg_objects__findings') }}
    where period_year <= {{ check_year() }}

),

areas as (

    select
        area_code,
        area_level,
        city_code,
        county_type
    from {{ ref('stg_reference__areas') }}

),

object_years as (

    select distinct period_year from objects

),

delivered as (

    select
        county_code,
        min(period_year) as first_year
    from objects
    group by county_code

),

expected_counties as (

    select
        areas.area_code as county_code,
        areas.city_code,
        object_years.period_year
    from areas
    cross join object_years
    left join delivered
        on areas.area_code = delivered.county_code
    where areas.area_level = 'county'
        and (areas.county_type = 'district' or delivered.first_year <= object_years.period_year)

),

indicator_years as (

    select
        object_years.period_year,
        catalogue.*
    from catalogue
    inner join object_years
        on {{ is_valid_in_year('catalogue', 'object_years.period_year') }}

),

-- what each object of the indicator's kind contributes
object_findings as (

    select
        indicator_years.indicator_code,
        objects.period_year,
        objects.county_code,
        objects.object_id,
        objects.dwellings,
        objects.households,
        case indicator_years.rollup_weight
            when 'households' then cast(objects.households as double)
            when 'area_m2' then objects.area_m2
        end as measure_weight,
        findings.finding_value,
        findings.object_id is not null
            and coalesce(findings.finding_value, 1) <> 0 as has_finding

    from indicator_years
    inner join objects
        on indicator_years.period_year = objects.period_year
        and indicator_years.object_kind = objects.object_kind
    left join findings
        on objects.object_id = findings.object_id
        and objects.period_year = findings.period_year
        and indicator_years.indicator_code = findings.indicator_code

),

by_county as (

    select
        indicator_code,
        period_year,
        county_code,
        count(*) as objects_surveyed,
        count(*) filter (where has_finding) as objects_with_finding,
        {{ exact_sum('finding_value', 'has_finding') }} as gap_sum,
        {{ exact_sum('dwellings') }} as dwellings_sum,
        {{ exact_sum('households') }} as households_sum,
        {{ exact_sum('measure_weight * finding_value',
            'finding_value is not null and measure_weight > 0') }} as weighted_measure_sum,
        {{ exact_sum('measure_weight', 'finding_value is not null and measure_weight > 0') }}
            as measure_weight_sum,
        {{ exact_mean('finding_value') }} as measure_mean

    from object_findings
    group by indicator_code, period_year, county_code

),

county_values as (

    select
        expected_counties.county_code,
        expected_counties.city_code,
        indicator_years.period_year,
        indicator_years.indicator_code,
        indicator_years.computation,
        coalesce(by_county.objects_surveyed, 0) as objects_surveyed,
        coalesce(by_county.objects_with_finding, 0) as objects_with_finding,
        case indicator_years.computation
            when 'count_flagged' then cast(by_county.objects_with_finding as double)
            when 'sum_gap' then coalesce(by_county.gap_sum, 0.0)
            -- one district object per county as a rule; several: their weighted mean
            when 'district_measure' then coalesce(
                by_county.weighted_measure_sum / nullif(by_county.measure_weight_sum, 0),
                by_county.measure_mean)
        end as value,
        by_county.measure_weight_sum as measure_weight,
        case indicator_years.score_per
            when 'objects' then cast(by_county.objects_surveyed as double)
            when 'dwellings' then by_county.dwellings_sum
            when 'households' then by_county.households_sum
        end as size_value

    from expected_counties
    inner join indicator_years
        on expected_counties.period_year = indicator_years.period_year
    left join by_county
        on expected_counties.county_code = by_county.county_code
        and indicator_years.period_year = by_county.period_year
        and indicator_years.indicator_code = by_county.indicator_code

),

reported as (

    select
        *,
        case when computation = 'district_measure'
            then value is not null
            else objects_surveyed > 0
        end as is_reported
    from county_values

),

-- every county stands for itself, its city and the province
memberships as (

    select area_code as county_code, area_code as rollup_area_code, 'county' as area_level
    from areas where area_level = 'county'

    union all

    select area_code, city_code, 'city'
    from areas where area_level = 'county'

    union all

    select counties.area_code, province.area_code, 'province'
    from areas as counties
    cross join areas as province
    where counties.area_level = 'county'
        and province.area_level = 'province'

),

contributions as (

    select
        memberships.rollup_area_code,
        memberships.area_level,
        reported.*,
        reported.is_reported
        and (
            reported.computation <> 'district_measure'
            or memberships.area_level = 'county'
            or coalesce(reported.measure_weight, 0) > 0
        ) as is_contributing

    from reported
    inner join memberships
        on reported.county_code = memberships.county_code

),

aggregated as (

    select
        rollup_area_code as area_code,
        any_value(area_level) as area_level,
        period_year,
        indicator_code,
        any_value(computation) as computation,
        count(*) as counties_expected,
        count(*) filter (where is_contributing) as counties_reported,
        cast(sum(objects_surveyed) filter (where is_contributing) as integer) as objects_surveyed,
        cast(sum(objects_with_finding) filter (where is_contributing) as integer)
            as objects_with_finding,
        {{ exact_sum('value', 'is_contributing') }} as value_sum,
        {{ exact_sum('size_value', 'is_contributing') }} as size_sum,
        {{ exact_sum('measure_weight * value', 'is_contributing') }} as weighted_value_sum,
        {{ exact_sum('measure_weight', 'is_contributing') }} as weight_sum,
        max(value) filter (where is_contributing) as single_value

    from contributions
    group by rollup_area_code, period_year, indicator_code

),

with_rule as (

    select
        aggregated.*,
        case
            when aggregated.counties_reported = 0 and aggregated.area_level = 'county'
                then 'not_reported'
            when aggregated.counties_reported = 0 then 'no_county_reported'
            when aggregated.computation <> 'district_measure'
                and aggregated.counties_reported < aggregated.counties_expected
                then 'sum_incomplete'
            when aggregated.computation = 'district_measure'
                and 1.0 * aggregated.counties_reported / aggregated.counties_expected
                    < {{ assessment_parameter('rollup_min_county_coverage') }}
                then 'coverage_below_minimum'
        end as null_reason

    from aggregated

),

final as (

    select
        area_code,
        area_level,
        period_year,
        indicator_code,
        computation,
        case
            when null_reason is not null then null
            when computation <> 'district_measure' then value_sum
            when area_level = 'county' then single_value
            else weighted_value_sum / nullif(weight_sum, 0)
        end as value,
        case when null_reason is null and computation <> 'district_measure'
            then size_sum
        end as size_value,
        objects_surveyed,
        objects_with_finding,
        counties_expected,
        counties_reported,
        counties_reported = counties_expected as is_complete,
        null_reason

    from with_rule

)

select * from final
