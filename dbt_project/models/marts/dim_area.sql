-- The geography (GB/T 2260): the province, its cities and their counties, with the
-- weight tier the health index uses and the number of counties each area rolls up.
with

areas as (

    select * from {{ ref('stg_reference__areas') }}

),

county_counts as (

    select
        city_code,
        count(*) as counties_in_area
    from areas
    where area_level = 'county'
    group by city_code

),

final as (

    select
        areas.area_code,
        areas.area_name_zh,
        areas.area_name_en,
        areas.area_level,
        areas.parent_code,
        areas.city_code,
        areas.county_type,
        areas.weight_tier,
        areas.is_county_town_pilot,
        areas.population_2020_10k,
        cast(
            case areas.area_level
                when 'county' then 1
                when 'city' then county_counts.counties_in_area
                when 'province' then (select count(*) from areas where area_level = 'county')
            end as integer
        ) as counties_in_area,
        areas.sort_order

    from areas
    left join county_counts
        on areas.area_level = 'city'
        and areas.area_code = county_counts.city_code

)

select * from final
