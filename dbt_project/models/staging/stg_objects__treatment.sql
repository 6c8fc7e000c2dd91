-- The treatment register of the objects' problems (整治台账, raw.object_treatment) of
-- promoted batches: one row per problem (object × indicator) and report month (the
-- latest load wins).
with

source as (

    {{ promoted_rows('raw', 'object_treatment') }}

),

renamed as (

    select
        source.batch_id,
        source.source_id,
        source.row_number as sheet_row_number,
        trim(source.period) as period,
        cast(substr(trim(source.period), 1, 4) as integer) as period_year,
        cast(substr(trim(source.period), 6, 2) as integer) as report_month,
        trim(source.object_id) as object_id,
        upper(trim(source.indicator_code)) as indicator_code,
        trim(source.object_id) || ':' || upper(trim(source.indicator_code)) as problem_id,
        nullif(trim(source.project_id), '') as project_id,
        lower(trim(source.status)) as status,
        source.rectified_on,
        source.batch_loaded_at

    from source

),

deduplicated as (

    {{ latest_load_wins('renamed', ['object_id', 'indicator_code', 'period'],
        ['sheet_row_number']) }}

)

select * from deduplicated
