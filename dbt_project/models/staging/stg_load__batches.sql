-- Every delivery attempt and its fate; is_promoted marks what staging may read.
with

source as (

    select * from {{ source('raw', 'load_batches') }}

),

renamed as (

    select
        batch_id,
        source_id,
        period,
        original_name,
        archive_path,
        sha256,
        bytes as size_bytes,
        rows as rows_parsed,
        received_at,
        loaded_at,
        lower(trim(status)) as status,
        lower(trim(status)) = 'promoted' as is_promoted,
        error,
        supersedes_batch_id,
        delivered_by

    from source

)

select * from renamed
