-- The numeric parameters of the assessment engine (ref_assessment_parameters); models
-- read one through the macro assessment_parameter('<parameter_code>').
with

source as (

    select * from {{ ref('ref_assessment_parameters') }}

),

typed as (

    select
        parameter_code,
        cast(value as double) as value,
        unit,
        description_zh,
        description_en

    from source

)

select * from typed
