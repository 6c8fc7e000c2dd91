-- The objects of the four-level check (raw.check_objects) of promoted batches: one row per
-- object and check year (the latest load wins). An object keeps its id across years.
with

source as (

    {{ promoted_rows('raw', 'check_objects') }}

),

renamed as (

    select
        source.batch_id,
        source.source_id,
        source.row_number as sheet_row_number,
        source.period_year,
        trim(source.object_id) as object_id,
        lower(trim(source.object_kind)) as object_kind,
        source.object_name,
        trim(source.county_code) as county_code,
        source.street_name,
        nullif(trim(source.parent_object_id), '') as parent_object_id,
        source.longitude,
        source.latitude,
        source.year_built,
        source.floors,
        source.dwellings,
        source.households,
        source.area_m2,
        coalesce(source.photo_files, []::varchar[]) as photo_files,
        source.batch_loaded_at

    from source

),

deduplicated as (

    {{ latest_load_wins('renamed', ['object_id', 'period_year'], ['sheet_row_number']) }}

)

select * from deduplicated
