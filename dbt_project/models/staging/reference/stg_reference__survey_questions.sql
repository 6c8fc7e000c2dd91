-- The questionnaires of the satisfaction survey (ref_survey_questions): the question
-- and its 2021 dimension or its level of the four-level check (2024 on) at each answer
-- position of a questionnaire.
with

source as (

    select * from {{ ref('ref_survey_questions') }}

),

typed as (

    select
        cast(questionnaire_id as varchar) as questionnaire_id,
        cast(position as integer) as answer_position,
        question_code,
        question_zh,
        nullif(trim(dimension_code), '') as dimension_code,
        nullif(trim(level_code), '') as level_code,
        cast(confirmed as boolean) as is_confirmed,
        nullif(trim(source_zh), '') as source_zh

    from source

)

select * from typed
