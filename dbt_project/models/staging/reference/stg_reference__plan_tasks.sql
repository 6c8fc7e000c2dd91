-- The tasks of the provincial implementation plan (ref_plan_tasks) the monthly task
-- register reports on.
with

source as (

    select * from {{ ref('ref_plan_tasks') }}

),

typed as (

    select
        task_code,
        cast(programme_no as integer) as programme_no,
        programme_zh,
        task_zh,
        lead_department_code,
        responsible_units_zh

    from source

)

select * from typed
