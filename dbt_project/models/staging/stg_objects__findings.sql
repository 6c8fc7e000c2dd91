-- What the field teams found on the objects (raw.object_findings) of promoted batches:
-- one row per object, indicator and check year (the latest load wins).
with

source as (

    {{ promoted_rows('raw', 'object_findings') }}

),

renamed as (

    select
        source.batch_id,
        source.source_id,
        source.row_number as sheet_row_number,
        source.period_year,
        trim(source.object_id) as object_id,
        upper(trim(source.indicator_code)) as indicator_code,
        cast(source.value as double) as finding_value,
        source.finding_zh,
        coalesce(source.photo_files, []::varchar[]) as photo_files,
        source.batch_loaded_at

    from source

),

deduplicated as (

    {{ latest_load_wins('renamed', ['object_id', 'indicator_code', 'period_year'],
        ['sheet_row_number']) }}

)

select * from deduplicated
