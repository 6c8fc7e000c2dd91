-- The eight dimensions of the indicator system (ref_dimensions), in report order.
with

source as (

    select * from {{ ref('ref_dimensions') }}

),

typed as (

    select
        dimension_code,
        dimension_name_zh,
        dimension_name_en,
        cast(sort_order as integer) as sort_order

    from source

)

select * from typed
