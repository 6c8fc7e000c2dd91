-- Survey answers of promoted batches, one row per respondent × question: the answer
-- sheets' arrays (stg_survey__responses) unnested with their 1-based position, and the
-- position matched to the questionnaire (ref_survey_questions) for the question and its
-- dimension or level. For reading answers one by one; the survey statistics compute on the
-- arrays of stg_survey__responses instead (30 times fewer rows).
with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

questions as (

    select
        questionnaire_id,
        answer_position,
        question_code,
        dimension_code,
        level_code
    from {{ ref('stg_reference__survey_questions') }}

),

unnested as (

    select
        responses.batch_id,
        responses.source_id,
        responses.export_row_number,
        responses.response_id,
        responses.respondent_key,
        responses.area_code,
        responses.period_year,
        responses.submitted_at,
        responses.duration_seconds,
        responses.questionnaire_id,
        -- every answer of the sheet, the level questions' too (all_answers)
        cast(generate_subscripts(responses.all_answers, 1) as integer) as answer_position,
        unnest(responses.all_answers) as answer_score

    from responses

),

final as (

    select
        unnested.batch_id,
        unnested.source_id,
        unnested.export_row_number,
        unnested.response_id,
        unnested.respondent_key,
        unnested.area_code,
        unnested.period_year,
        unnested.submitted_at,
        unnested.duration_seconds,
        unnested.questionnaire_id,
        unnested.answer_position,
        questions.question_code,
        questions.dimension_code,
        questions.level_code,
        unnested.answer_score,
        unnested.answer_score is null as is_dont_know

    from unnested
    left join questions
        on unnested.questionnaire_id = questions.questionnaire_id
        and unnested.answer_position = questions.answer_position

)

select * from final
