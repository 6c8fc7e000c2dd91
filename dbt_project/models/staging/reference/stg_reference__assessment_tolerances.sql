-- Tolerances of the self-check against the third-party assessment
-- (ref_assessment_tolerances): the default row has a null indicator_code; an empty
-- absolute tolerance is 0.
with

source as (

    select * from {{ ref('ref_assessment_tolerances') }}

),

typed as (

    select
        nullif(trim(cast(indicator_code as varchar)), '') as indicator_code,
        cast(relative_tolerance as double) as relative_tolerance,
        coalesce(cast(absolute_tolerance as double), 0.0) as absolute_tolerance,
        note_zh

    from source

)

select * from typed
