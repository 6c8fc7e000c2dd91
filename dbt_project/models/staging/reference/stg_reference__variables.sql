-- The delivered variables (ref_variables): base numbers and indicator numerators, with
-- their unit, delivering department and plausible range.
with

source as (

    select * from {{ ref('ref_variables') }}

),

typed as (

    select
        variable_code,
        variable_name_zh,
        unit_zh,
        department_code,
        aggregation,
        cast(is_base_number as boolean) as is_base_number,
        cast(valid_min as double) as valid_min,
        cast(valid_max as double) as valid_max,
        description_zh

    from source

)

select * from typed
