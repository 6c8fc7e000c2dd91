-- Weights of the parts of the annual appraisal and the quarterly bulletin
-- (ref_assessment_weights), versioned by year (valid_from_year … valid_to_year).
with

source as (

    select * from {{ ref('ref_assessment_weights') }}

),

typed as (

    select
        composite,
        part_code,
        part_name_zh,
        part_name_en,
        cast(weight as double) as weight,
        cast(valid_from_year as integer) as valid_from_year,
        cast(valid_to_year as integer) as valid_to_year

    from source

)

select * from typed
