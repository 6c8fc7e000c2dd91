-- Each respondent's satisfaction per dimension and overall, the unit of the survey
-- statistics (fct_satisfaction): the mean of the respondent's answers (5 非常满意 … 1
-- 非常不满意; 不了解 has no score and is left out) over the questions of the dimension,
-- or over all questions for the overall row (dimension_code ALL), and the same on a
-- 0–100 scale: (mean − 1) × 25. Only counted answer sheets enter
-- (int_survey__submissions: a respondent who answered twice in a year counts once,
-- with the later submission; too fast, straight-lining and empty sheets are screened
-- out). A respondent without any scored answer in a dimension has no row for it.
with

answers as (

    select * from {{ ref('stg_survey__answers') }}
    where period_year <= {{ check_year() }}

),

counted_sheets as (

    select
        batch_id,
        response_id
    from {{ ref('int_survey__submissions') }}
    where is_counted

),

kept_answers as (

    select answers.*
    from answers
    semi join counted_sheets
        on answers.batch_id = counted_sheets.batch_id
        and answers.response_id = counted_sheets.response_id

),

by_dimension as (

    select
        respondent_key,
        any_value(area_code) as area_code,
        period_year,
        dimension_code,
        cast(count(answer_score) as integer) as questions_answered,
        avg(answer_score) as mean_answer
    from kept_answers
    where answer_score is not null
        and dimension_code is not null
    group by respondent_key, period_year, dimension_code

),

overall as (

    select
        respondent_key,
        any_value(area_code) as area_code,
        period_year,
        'ALL' as dimension_code,
        cast(count(answer_score) as integer) as questions_answered,
        avg(answer_score) as mean_answer
    from kept_answers
    where answer_score is not null
    group by respondent_key, period_year

),

final as (

    select
        respondent_key,
        area_code,
        period_year,
        dimension_code,
        questions_answered,
        mean_answer,
        (mean_answer - 1.0) * 25.0 as satisfaction_score

    from (
        select * from by_dimension
        union all
        select * from overall
    )

)

select * from final
