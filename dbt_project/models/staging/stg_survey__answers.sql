-- Survey answers of promoted batches, one row per respondent × question: the answers
-- array is unnested with its 1-based position, and the position is matched to the
-- questionnaire (ref_survey_questions) for the question and its dimension.
with

responses as (

    {{ promoted_rows('raw', 'survey_responses') }}

),

questions as (

    select
        questionnaire_id,
        answer_position,
        question_code,
        dimension_code
    from {{ ref('stg_reference__survey_questions') }}

),

unnested as (

    select
        responses.batch_id,
        responses.source_id,
        responses.row_number as export_row_number,
        responses.response_id,
        responses.respondent_key,
        trim(responses.area_code) as area_code,
        cast(responses.period_year as integer) as period_year,
        responses.submitted_at,
        responses.duration_seconds,
        responses.questionnaire_id,
        cast(generate_subscripts(responses.answers, 1) as integer) as answer_position,
        cast(unnest(responses.answers) as integer) as answer_score

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
        unnested.answer_score,
        unnested.answer_score is null as is_dont_know

    from unnested
    left join questions
        on unnested.questionnaire_id = questions.questionnaire_id
        and unnested.answer_position = questions.answer_position

)

select * from final
