-- The questionnaires of the satisfaction survey (ref_survey_questions): the question
-- and dimension at each answer position of a questionnaire.
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
        dimension_code

    from source

)

select * from typed
