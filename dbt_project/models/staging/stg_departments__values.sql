-- Departmental self-check values of promoted batches: one value per county × year ×
-- variable. Should two promoted batches deliver the same cell, the later load wins.
with

source as (

    {{ promoted_rows('raw', 'department_values') }}

),

renamed as (

    select
        source.batch_id,
        source.source_id,
        source.department_code,
        source.row_number as sheet_row_number,
        trim(source.area_code) as area_code,
        source.area_name as area_name_delivered,
        cast(source.period_year as integer) as period_year,
        source.column_label,
        trim(source.variable_code) as variable_code,
        cast(source.value as double) as value,
        source.delivered_unit,
        source.batch_loaded_at

    from source

),

deduplicated as (

    {{ latest_load_wins('renamed', ['area_code', 'period_year', 'variable_code'], ['sheet_row_number']) }}

)

select * from deduplicated
