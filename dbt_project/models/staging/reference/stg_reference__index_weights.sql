-- Dimension weights of the health index per weight tier (ref_index_weights), versioned
-- by check year (valid_from_year … valid_to_year, empty = open).
with

source as (

    select * from {{ ref('ref_index_weights') }}

),

typed as (

    select
        cast(valid_from_year as integer) as valid_from_year,
        cast(valid_to_year as integer) as valid_to_year,
        weight_tier,
        dimension_code,
        cast(weight as double) as weight,
        source_zh

    from source

)

select * from typed
