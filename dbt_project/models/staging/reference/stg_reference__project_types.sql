-- Urban-renewal project types (ref_project_types): the plan task each serves and the
-- indicators it is expected to improve (space-separated codes in the seed).
with

source as (

    select * from {{ ref('ref_project_types') }}

),

typed as (

    select
        project_type_code,
        project_type_zh,
        task_code,
        indicator_codes

    from source

)

select * from typed
