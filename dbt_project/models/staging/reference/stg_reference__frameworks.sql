-- The frameworks of the check (ref_frameworks) typed: the years each is assessed on and
-- the years it is the official (primary) one.
with

source as (

    select * from {{ ref('ref_frameworks') }}

),

typed as (

    select
        framework_code,
        framework_name_zh,
        structure_zh,
        cast(check_year_from as integer) as check_year_from,
        cast(check_year_to as integer) as check_year_to,
        cast(primary_year_from as integer) as primary_year_from,
        cast(primary_year_to as integer) as primary_year_to,
        cast(confirmed as boolean) as is_confirmed,
        nullif(trim(unconfirmed_zh), '') as unconfirmed_zh,
        source_zh

    from source

)

select * from typed
