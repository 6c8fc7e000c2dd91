-- The geography seed (ref_areas) typed: codes stay text, flags boolean, numbers numeric.
-- Marts read the geography through dim_area, which adds the roll-up counts.
with

source as (

    select * from {{ ref('ref_areas') }}

),

typed as (

    select
        cast(area_code as varchar) as area_code,
        area_name_zh,
        area_name_en,
        area_level,
        cast(parent_code as varchar) as parent_code,
        cast(city_code as varchar) as city_code,
        county_type,
        weight_tier,
        cast(is_county_town_pilot as boolean) as is_county_town_pilot,
        cast(population_2020_10k as double) as population_2020_10k,
        cast(sort_order as integer) as sort_order

    from source

)

select * from typed
