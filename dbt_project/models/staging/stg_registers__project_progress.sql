-- The urban-renewal project library of promoted batches: one row per project × report
-- month (the latest load wins). Dates are the first day of the planned start and
-- completion months, as the register gives months only.
with

source as (

    {{ promoted_rows('raw', 'project_progress') }}

),

renamed as (

    select
        source.batch_id,
        source.source_id,
        source.row_number as sheet_row_number,
        trim(source.project_id) as project_id,
        source.project_name,
        trim(source.area_code) as area_code,
        trim(source.project_type_code) as project_type_code,
        coalesce(source.indicator_codes, []::varchar[]) as indicator_codes,
        source.department,
        cast(source.planned_investment as double) as planned_investment,
        cast(source.planned_start as date) as planned_start,
        cast(source.planned_end as date) as planned_end,
        trim(source.period) as period,
        cast(substr(trim(source.period), 1, 4) as integer) as period_year,
        cast(substr(trim(source.period), 6, 2) as integer) as report_month,
        cast(source.invested_to_date as double) as invested_to_date,
        cast(source.progress_pct as double) as progress_pct,
        lower(trim(source.status)) as status,
        source.batch_loaded_at

    from source

),

deduplicated as (

    {{ latest_load_wins('renamed', ['project_id', 'period'], ['sheet_row_number']) }}

)

select * from deduplicated
