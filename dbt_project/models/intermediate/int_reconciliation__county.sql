-- Self-check (城市自体检) against the provincial third-party assessment (第三方评估), one
-- row per county × year × indicator the third party measured: both values, the gap
-- (absolute and relative) and whether it exceeds the tolerance of
-- ref_assessment_tolerances (the indicator's own row, else the default row, the one
-- with an empty indicator_code). Flagged when |relative gap| > relative_tolerance (no
-- relative test when that is empty or the third-party value is 0) and |absolute gap| >
-- absolute_tolerance. A measured value without a self-check value is kept
-- (status self_check_missing): the third party found what the departments did not deliver.
with

third_party as (

    select
        area_code,
        period_year,
        indicator_code,
        value,
        assessor,
        measured_on,
        batch_id
    from {{ ref('stg_third_party__values') }}
    where period_year <= {{ check_year() }}

),

county_values as (

    select
        area_code,
        city_code,
        period_year,
        indicator_code,
        value,
        batch_ids
    from {{ ref('int_indicator_values__county') }}

),

counties as (

    select
        area_code,
        city_code
    from {{ ref('stg_reference__areas') }}
    where area_level = 'county'

),

tolerances as (

    select
        indicator_code,
        relative_tolerance,
        absolute_tolerance
    from {{ ref('stg_reference__assessment_tolerances') }}

),

joined as (

    select
        third_party.area_code,
        counties.city_code,
        third_party.period_year,
        third_party.indicator_code,
        county_values.value as self_check_value,
        third_party.value as third_party_value,
        third_party.assessor,
        third_party.measured_on,
        third_party.batch_id as third_party_batch_id,
        coalesce(county_values.batch_ids, []::varchar[]) as self_check_batch_ids,
        case
            when specific.indicator_code is not null then specific.relative_tolerance
            else fallback.relative_tolerance
        end as relative_tolerance,
        coalesce(
            case
                when specific.indicator_code is not null then specific.absolute_tolerance
                else fallback.absolute_tolerance
            end,
            0.0
        ) as absolute_tolerance

    from third_party
    inner join counties
        on third_party.area_code = counties.area_code
    left join county_values
        on third_party.area_code = county_values.area_code
        and third_party.period_year = county_values.period_year
        and third_party.indicator_code = county_values.indicator_code
    left join tolerances as specific
        on third_party.indicator_code = specific.indicator_code
    left join tolerances as fallback
        on fallback.indicator_code is null

),

gaps as (

    select
        *,
        self_check_value - third_party_value as gap_abs,
        (self_check_value - third_party_value) / nullif(abs(third_party_value), 0) as gap_rel

    from joined

),

final as (

    select
        area_code,
        city_code,
        period_year,
        indicator_code,
        self_check_value,
        third_party_value,
        gap_abs,
        gap_rel,
        relative_tolerance,
        absolute_tolerance,
        case
            when self_check_value is null or third_party_value is null then null
            else (relative_tolerance is null or gap_rel is null or abs(gap_rel) > relative_tolerance)
                and abs(gap_abs) > absolute_tolerance
        end as is_over_tolerance,
        case
            when third_party_value is null then 'third_party_missing'
            when self_check_value is null then 'self_check_missing'
            when (relative_tolerance is null or gap_rel is null or abs(gap_rel) > relative_tolerance)
                and abs(gap_abs) > absolute_tolerance then 'over_tolerance'
            else 'within_tolerance'
        end as reconciliation_status,
        assessor,
        measured_on,
        third_party_batch_id,
        self_check_batch_ids

    from gaps

)

select * from final
