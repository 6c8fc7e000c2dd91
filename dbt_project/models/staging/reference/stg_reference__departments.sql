-- The provincial departments that deliver data or lead plan tasks (ref_departments).
with

source as (

    select * from {{ ref('ref_departments') }}

),

typed as (

    select
        department_code,
        department_name_zh,
        department_name_en

    from source

)

select * from typed
