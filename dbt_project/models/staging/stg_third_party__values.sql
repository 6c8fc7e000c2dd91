-- Third-party measurements of promoted batches: one value per county × year × indicator
-- (the latest load wins should a cell be delivered twice).
with

promoted_batches as (

    select
        batch_id,
        loaded_at
    from {{ ref('stg_load__batches') }}
    where is_promoted

),

source as (

    select * from {{ source('raw', 'third_party_values') }}

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
        promoted_batches.loaded_at as batch_loaded_at

    from source
    inner join promoted_batches
        on source.batch_id = promoted_batches.batch_id

),

deduplicated as (

    select * from renamed
    qualify row_number() over (
        partition by area_code, period_year, indicator_code
        order by batch_loaded_at desc nulls last, batch_id desc, sheet_row_number desc
    ) = 1

)

select * from deduplicated
