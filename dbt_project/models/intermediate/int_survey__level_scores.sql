-- Each respondent's satisfaction per level of the four-level check (2024 on: housing,
-- compound, block, district) and overall over the level questions (level_code ALL),
-- the unit of fct_satisfaction_by_level: the mean of the respondent's answers (5 非常满意
-- … 1 非常不满意; 不了解 has no score and is left out) over the questionnaire's questions
-- on the level (ref_survey_questions.level_code), and the same on a 0–100 scale:
-- (mean − 1) × 25, as int_survey__respondent_scores does for the 2021 dimensions.
-- Only counted answer sheets enter (int_survey__submissions: repeats removed, careless
-- sheets screened out). A questionnaire without level questions (before 2024) gives no
-- row; a respondent without any scored answer on a level has no row for it.
-- Computed on each counted sheet's whole answers array (stg_survey__responses.all_answers)
-- with list functions, one row per sheet and level, no row per answer.
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
        responses.all_answers
    from responses
    semi join counted_sheets
        on responses.batch_id = counted_sheets.batch_id
        and responses.response_id = counted_sheets.response_id

),

level_questions as (

    select
        questionnaire_id,
        level_code,
        answer_position
    from {{ ref('stg_reference__survey_questions') }}
    where level_code is not null

),

-- the answer positions of each level of each questionnaire, and of all its level
-- questions together (ALL)
level_positions as (

    select
        questionnaire_id,
        level_code,
        list(answer_position order by answer_position) as answer_positions
    from level_questions
    group by questionnaire_id, level_code

    union all

    select
        questionnaire_id,
        'ALL' as level_code,
        list(answer_position order by answer_position) as answer_positions
    from level_questions
    group by questionnaire_id

),

level_answers as (

    select
        kept_sheets.respondent_key,
        kept_sheets.area_code,
        kept_sheets.period_year,
        level_positions.level_code,
        -- a position beyond the sheet's array gives null: no answer, no score
        list_transform(
            level_positions.answer_positions, position -> kept_sheets.all_answers[position]
        ) as scores
    from kept_sheets
    inner join level_positions
        on kept_sheets.questionnaire_id = level_positions.questionnaire_id

),

final as (

    select
        respondent_key,
        area_code,
        period_year,
        level_code,
        cast(list_count(scores) as integer) as questions_answered,
        list_avg(scores) as mean_answer,
        (list_avg(scores) - 1.0) * 25.0 as satisfaction_score
    from level_answers
    where list_count(scores) > 0

)

select * from final
