-- The monthly task register of promoted batches: one row per plan task × city × report
-- month (the latest load wins should a month be delivered twice, e.g. a correction).
with

promoted_batches as (

    select
        batch_id,
        loaded_at
    from {{ ref('stg_load__batches') }}
    where is_promoted

),

source as (

    select * from {{ source('raw', 'task_progress') }}

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
        promoted_batches.loaded_at as batch_loaded_at

    from source
    inner join promoted_batches
        on source.batch_id = promoted_batches.batch_id

),

deduplicated as (

    select * from renamed
    qualify row_number() over (
        partition by task_code, city_code, period
        order by batch_loaded_at desc nulls last, batch_id desc, sheet_row_number desc
    ) = 1

)

select * from deduplicated
