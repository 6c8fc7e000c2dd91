-- The eight dimensions of the 2021 indicator system (ref_dimensions, framework CHK2021),
-- in report order, with the check years they apply to.
with

source as (

    select * from {{ ref('ref_dimensions') }}

),

typed as (

    select
        dimension_code,
        dimension_name_zh,
        dimension_name_en,
        cast(sort_order as integer) as sort_order,
        framework_code,
        cast(check_year_from as integer) as check_year_from,
        cast(check_year_to as integer) as check_year_to

    from source

)

select * from typed
