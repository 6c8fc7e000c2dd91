-- Each respondent's satisfaction per dimension and overall, the unit of the survey
-- statistics (fct_satisfaction): the mean of the respondent's answers (5 非常满意 … 1
-- 非常不满意; 不了解 has no score and is left out) over the questions of the dimension,
-- or over all questions for the overall row (dimension_code ALL), and the same on a
-- 0–100 scale: (mean − 1) × 25. Only counted answer sheets enter
-- (int_survey__submissions: a respondent who answered twice in a year counts once,
-- with the later submission; too fast, straight-lining and empty sheets are screened
-- out). A respondent without any scored answer in a dimension has no row for it.
-- Computed on each counted sheet's answers array (stg_survey__responses) with list
-- functions: a respondent has one counted sheet a year, so the means need no aggregate
-- over rows (list_avg is DuckDB's avg over the list's elements, the same figure as avg
-- over one row per answer); no row per answer is made, and the model's time and memory
-- grow with the number of sheets, not with sheets × answers.
with

responses as (

    select * from {{ ref('stg_survey__responses') }}
    where period_year <= {{ check_year() }}

),

counted_sheets as (

    select
        batch_id,
        response_id
    from {{ ref('int_survey__submissions') }}
    where is_counted

),

kept_sheets as (

    select
        responses.respondent_key,
        responses.area_code,
        responses.period_year,
        responses.questionnaire_id,
        responses.answers
    from responses
    semi join counted_sheets
        on responses.batch_id = counted_sheets.batch_id
        and responses.response_id = counted_sheets.response_id

),

-- the answer positions of each dimension of each questionnaire (ref_survey_questions)
dimension_positions as (

    select
        questionnaire_id,
        dimension_code,
        list(answer_position order by answer_position) as answer_positions
    from {{ ref('stg_reference__survey_questions') }}
    where dimension_code is not null
    group by questionnaire_id, dimension_code

),

dimension_answers as (

    select
        kept_sheets.respondent_key,
        kept_sheets.area_code,
        kept_sheets.period_year,
        dimension_positions.dimension_code,
        -- the dimension's answers, by position (list_transform: faster than list_select
        -- here); a position beyond the sheet's array gives null: no answer, no score
        list_transform(
            dimension_positions.answer_positions, position -> kept_sheets.answers[position]
        ) as scores
    from kept_sheets
    inner join dimension_positions
        on kept_sheets.questionnaire_id = dimension_positions.questionnaire_id

),

by_dimension as (

    select
        respondent_key,
        area_code,
        period_year,
        dimension_code,
        cast(list_count(scores) as integer) as questions_answered,
        list_avg(scores) as mean_answer
    from dimension_answers
    where list_count(scores) > 0

),

-- every scored answer of the sheet, also at a position the questionnaire does not list
overall as (

    select
        respondent_key,
        area_code,
        period_year,
        'ALL' as dimension_code,
        cast(list_count(answers) as integer) as questions_answered,
        list_avg(answers) as mean_answer
    from kept_sheets
    where list_count(answers) > 0

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
