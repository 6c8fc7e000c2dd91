-- The versioned indicator catalogue (ref_indicators) typed, the only place its casts
-- and defaults are written: multiplier and weight default to 1, an empty denominator is
-- null, the scored scale's multiplier defaults to 1 when a score_per_variable is set and
-- its unit to the value's unit. One row per indicator version (check_year_from … check_year_to, empty = open).
with

source as (

    select * from {{ ref('ref_indicators') }}

),

typed as (

    select
        indicator_code,
        indicator_name_zh,
        indicator_name_en,
        dimension_code,
        spatial_level,
        unit_zh,
        direction,
        frequency,
        department_code,
        formula_zh,
        numerator_variable,
        nullif(trim(denominator_variable), '') as denominator_variable,
        coalesce(cast(multiplier as double), 1.0) as multiplier,
        aggregation,
        cast(standard_value as double) as standard_value,
        cast(target_low as double) as target_low,
        cast(target_high as double) as target_high,
        cast(score_zero_at as double) as score_zero_at,
        cast(warn_yellow as double) as warn_yellow,
        cast(warn_red as double) as warn_red,
        cast(valid_min as double) as valid_min,
        cast(valid_max as double) as valid_max,
        cast(typical_low as double) as typical_low,
        cast(typical_high as double) as typical_high,
        coalesce(cast(weight as double), 1.0) as indicator_weight,
        cast(check_year_from as integer) as check_year_from,
        cast(check_year_to as integer) as check_year_to,
        cast(is_jiangxi_specific as boolean) as is_jiangxi_specific,
        reference_zh,
        standard_source_zh,
        score_zero_source_zh,
        warning_source_zh,
        weight_source_zh,
        nullif(trim(score_per_variable), '') as score_per_variable,
        case
            when nullif(trim(score_per_variable), '') is not null
                then coalesce(cast(score_per_multiplier as double), 1.0)
        end as score_per_multiplier,
        coalesce(nullif(trim(score_unit_zh), ''), unit_zh) as score_unit_zh

    from source

)

select * from typed
