-- The catalogue of the four-level check's object indicators (ref_object_indicators)
-- typed, the only place its casts and defaults are written: weight defaults to 1, the
-- scored scale's multiplier to 1 when a size is set and its unit to the value's unit.
with

source as (

    select * from {{ ref('ref_object_indicators') }}

),

typed as (

    select
        indicator_code,
        indicator_name_zh,
        framework_code,
        level_code,
        object_kind,
        unit_zh,
        finding_kind,
        section_code,
        computation,
        nullif(trim(score_per), '') as score_per,
        case
            when nullif(trim(score_per), '') is not null
                then coalesce(cast(score_per_multiplier as double), 1.0)
        end as score_per_multiplier,
        coalesce(nullif(trim(score_unit_zh), ''), unit_zh) as score_unit_zh,
        nullif(trim(rollup_weight), '') as rollup_weight,
        direction,
        cast(standard_value as double) as standard_value,
        cast(score_zero_at as double) as score_zero_at,
        cast(warn_yellow as double) as warn_yellow,
        cast(warn_red as double) as warn_red,
        coalesce(cast(weight as double), 1.0) as indicator_weight,
        cast(check_year_from as integer) as check_year_from,
        cast(check_year_to as integer) as check_year_to,
        cast(is_jiangxi_specific as boolean) as is_jiangxi_specific,
        cast(confirmed as boolean) as is_confirmed,
        nullif(trim(unconfirmed_zh), '') as unconfirmed_zh,
        source_zh,
        standard_source_zh,
        score_zero_source_zh,
        warning_source_zh,
        weight_source_zh

    from source

)

select * from typed
