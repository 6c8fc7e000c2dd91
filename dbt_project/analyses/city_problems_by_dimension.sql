-- The diagnosis of one check year as a city report lists it: per city and dimension, the
-- number of problems and their sentences (most rules first), beside the dimension score
-- and the city's rank interval. Compile with `dbt compile --select city_problems_by_dimension`
-- and run the SQL against a release (published.duckdb) or the warehouse.
with

diagnosis as (

    select * from {{ ref('pub_diagnosis') }}
    where area_level = 'city'
        and period_year = {{ check_year() }}

),

health_index as (

    select
        area_code,
        area_name_zh,
        health_index,
        rank_in_province,
        rank_p05,
        rank_p95
    from {{ ref('pub_health_index') }}
    where area_level = 'city'
        and period_year = {{ check_year() }}

)

select
    health_index.area_code,
    health_index.area_name_zh,
    health_index.health_index,
    health_index.rank_in_province,
    health_index.rank_p05 || '–' || health_index.rank_p95 as rank_interval,
    diagnosis.dimension_sort_order,
    diagnosis.dimension_name_zh,
    count(*) as problems,
    count(*) filter (where diagnosis.is_worsening) as worsening,
    string_agg(
        diagnosis.description_zh, ''
        order by diagnosis.problems_count desc, diagnosis.indicator_code
    ) as sentences

from health_index
inner join diagnosis
    on health_index.area_code = diagnosis.area_code
group by all
order by health_index.rank_in_province, diagnosis.dimension_sort_order
