-- Every score of the evaluation and the index lies in [0, 100] (null = not scored).
with

indicator_scores as (

    select
        'fct_indicator_score' as model_name,
        area_code,
        period_year,
        indicator_code as item,
        score
    from {{ ref('fct_indicator_score') }}

),

dimension_scores as (

    select
        'fct_dimension_score' as model_name,
        area_code,
        period_year,
        dimension_code as item,
        dimension_score as score
    from {{ ref('fct_dimension_score') }}

),

index_scores as (

    select
        'fct_health_index' as model_name,
        area_code,
        period_year,
        'health_index' as item,
        health_index as score
    from {{ ref('fct_health_index') }}

),

all_scores as (

    select * from indicator_scores
    union all
    select * from dimension_scores
    union all
    select * from index_scores

)

select *
from all_scores
where score < 0
    or score > 100
    or isnan(score)
