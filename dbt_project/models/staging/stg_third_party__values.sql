-- Third-party measurements of promoted batches: one value per county × year × indicator
-- (the latest load wins should a cell be delivered twice).
with

source as (

    {{ promoted_rows('raw', 'third_party_values') }}

),

renamed as (

    select
        source.batch_id,
        source.source_id,
        source.row_number as sheet_row_number,
        trim(source.area_code) as area_code,
        cast(source.period_year as integer) as period_year,
        trim(source.indicator_code) as indicator_code,
        cast(source.value as double) as value,
        source.assessor,
        source.measured_on,
        source.batch_loaded_at

    from source

),

deduplicated as (

    {{ latest_load_wins('renamed', ['area_code', 'period_year', 'indicator_code'], ['sheet_row_number']) }}

)

select * from deduplicated
