-- Published: the quarterly bulletin's ranking of the cities (fct_quarterly_bulletin).
with

bulletin as (

    select * from {{ ref('fct_quarterly_bulletin') }}

),

cities as (

    select
        area_code,
        area_name_zh,
        sort_order
    from {{ ref('dim_area') }}

)

select
    bulletin.city_code,
    cities.area_name_zh as city_name_zh,
    bulletin.period,
    bulletin.period_year,
    bulletin.quarter,
    bulletin.warnings_total,
    bulletin.warnings_red,
    bulletin.warnings_yellow,
    bulletin.warnings_green,
    bulletin.warnings_score,
    bulletin.tasks_reported,
    bulletin.tasks_delayed,
    bulletin.task_progress_score,
    bulletin.projects_reported,
    bulletin.projects_behind,
    bulletin.projects_overdue,
    bulletin.project_progress_score,
    bulletin.bulletin_score,
    bulletin.parts_scored,
    bulletin.rank_in_province,
    cities.sort_order

from bulletin
inner join cities
    on bulletin.city_code = cities.area_code
