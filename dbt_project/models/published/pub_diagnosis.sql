-- Published: the diagnosed problems (城市病) per area and year, grouped by dimension, each
-- with its plain-language sentence (fct_diagnosis).
with

diagnosis as (

    select * from {{ ref('fct_diagnosis') }}

)

select
    area_code,
    area_name_zh,
    area_level,
    city_code,
    period_year,
    dimension_code,
    dimension_name_zh,
    dimension_sort_order,
    indicator_code,
    indicator_name_zh,
    unit_zh,
    direction,
    value,
    scored_value,
    score_unit_zh,
    standard_value,
    target_low,
    target_high,
    score,
    is_below_standard,
    worsening_years,
    is_worsening,
    rank_in_level,
    areas_ranked,
    is_bottom_fifth,
    problem_types,
    problems_count,
    description_zh,
    projects_treating

from diagnosis
