-- The monthly task register of promoted batches: one row per plan task × city × report
-- month (the latest load wins should a month be delivered twice, e.g. a correction).
with

source as (

    {{ promoted_rows('raw', 'task_progress') }}

),

renamed as (

    select
        source.batch_id,
        source.source_id,
        source.row_number as sheet_row_number,
        trim(source.task_code) as task_code,
        trim(source.city_code) as city_code,
        trim(source.period) as period,
        cast(substr(trim(source.period), 1, 4) as integer) as period_year,
        cast(substr(trim(source.period), 6, 2) as integer) as report_month,
        source.annual_target,
        cast(source.progress_pct as double) as progress_pct,
        lower(trim(source.status)) as status,
        source.note,
        source.batch_loaded_at

    from source

),

deduplicated as (

    {{ latest_load_wins('renamed', ['task_code', 'city_code', 'period'], ['sheet_row_number']) }}

)

select * from deduplicated
