-- The levels of a framework and their sub-areas (ref_framework_sections) typed; a level
-- row carries its weight in the overall score.
with

source as (

    select * from {{ ref('ref_framework_sections') }}

),

typed as (

    select
        section_code,
        framework_code,
        level_code,
        nullif(trim(parent_section_code), '') as parent_section_code,
        section_kind,
        section_name_zh,
        cast(sort_order as integer) as sort_order,
        cast(check_year_from as integer) as check_year_from,
        cast(check_year_to as integer) as check_year_to,
        cast(weight as double) as level_weight,
        cast(confirmed as boolean) as is_confirmed,
        nullif(trim(unconfirmed_zh), '') as unconfirmed_zh,
        source_zh,
        nullif(trim(weight_source_zh), '') as weight_source_zh

    from source

)

select * from typed
