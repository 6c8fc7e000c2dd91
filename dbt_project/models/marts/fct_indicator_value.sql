-- The self-check value of every indicator for every area (county, city, province) and
-- year it applies to: counties as computed from their variables, cities and the
-- province rolled up from their counties. Missing values are rows with a null value,
-- so a reader sees what is missing, not just what is there, and null_reason says why
-- (a county that did not report; a roll-up withheld because a sum misses a county or
-- too few counties reported a ratio: int_indicator_values__rollup). Each value carries its
-- source (self_check: the departments' data) and quality flags: missing, incomplete
-- (a roll-up without every county), out_of_valid_range (outside the catalogue's
-- possible range) and third_party_gap (the provincial third-party measurement of the
-- county, or of one of the area's counties, differs beyond the tolerance).
with

county_values as (

    select * from {{ ref('int_indicator_values__county') }}

),

rollup_values as (

    select * from {{ ref('int_indicator_values__rollup') }}

),

indicator_years as (

    select
        period_year,
        indicator_code,
        aggregation,
        valid_min,
        valid_max
    from {{ ref('int_indicators__by_year') }}

),

reconciliation as (

    select
        area_code,
        city_code,
        period_year,
        indicator_code,
        is_over_tolerance
    from {{ ref('int_reconciliation__county') }}
    where is_over_tolerance is not null

),

areas as (

    select
        area_code,
        area_level
    from {{ ref('dim_area') }}

),

-- third-party checks per area: a county's own, a city's counties, all for the province
third_party_checks as (

    select
        area_code,
        period_year,
        indicator_code,
        count(*) as checks,
        count(*) filter (where is_over_tolerance) as gaps
    from reconciliation
    group by area_code, period_year, indicator_code

    union all

    select
        city_code as area_code,
        period_year,
        indicator_code,
        count(*) as checks,
        count(*) filter (where is_over_tolerance) as gaps
    from reconciliation
    group by city_code, period_year, indicator_code

    union all

    select
        areas.area_code,
        reconciliation.period_year,
        reconciliation.indicator_code,
        count(*) as checks,
        count(*) filter (where reconciliation.is_over_tolerance) as gaps
    from reconciliation
    cross join areas
    where areas.area_level = 'province'
    group by areas.area_code, reconciliation.period_year, reconciliation.indicator_code

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
        scale_value,
        batch_ids,
        cast(case when has_value then 1 else 0 end as integer) as counties_reported,
        cast(1 as integer) as counties_expected,
        case when value is null then 'not_reported' end as null_reason
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
        scale_value,
        batch_ids,
        counties_reported,
        counties_expected,
        null_reason
    from rollup_values

),

flagged as (

    select
        unioned.*,
        unioned.counties_reported = unioned.counties_expected as is_complete,
        -- a sum rolled up over counties may exceed a county's possible range
        case
            when unioned.value is null then false
            when unioned.area_level <> 'county' and indicator_years.aggregation = 'sum' then false
            else coalesce(unioned.value < indicator_years.valid_min, false)
                or coalesce(unioned.value > indicator_years.valid_max, false)
        end as is_out_of_valid_range,
        cast(coalesce(third_party_checks.checks, 0) as integer) as third_party_checks,
        cast(coalesce(third_party_checks.gaps, 0) as integer) as third_party_gaps

    from unioned
    left join indicator_years
        on unioned.period_year = indicator_years.period_year
        and unioned.indicator_code = indicator_years.indicator_code
    left join third_party_checks
        on unioned.area_code = third_party_checks.area_code
        and unioned.period_year = third_party_checks.period_year
        and unioned.indicator_code = third_party_checks.indicator_code

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
        scale_value,
        'self_check' as source,
        batch_ids,
        counties_reported,
        counties_expected,
        is_complete,
        null_reason,
        is_out_of_valid_range,
        third_party_checks,
        third_party_gaps,
        list_filter(
            [
                case when value is null then 'missing' end,
                case when value is not null and not is_complete then 'incomplete' end,
                case when is_out_of_valid_range then 'out_of_valid_range' end,
                case when third_party_gaps > 0 then 'third_party_gap' end
            ],
            lambda flag: flag is not null
        ) as quality_flags

    from flagged

)

select * from final
