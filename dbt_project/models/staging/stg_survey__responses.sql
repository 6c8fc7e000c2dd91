-- Survey answer sheets of promoted batches, one row per sheet with its answers array
-- (position i = the questionnaire's answer position i, ref_survey_questions; null =
-- 不了解). The survey statistics compute on the array with list functions
-- (int_survey__submissions, int_survey__respondent_scores), so that no model needs a
-- row per answer: at province scale (10 million sheets a year, 30 answers each) one row
-- per answer is what made the build's time and memory grow faster than the data.
-- stg_survey__answers is the same sheets unnested, one row per answer.
-- A questionnaire from 2024 on ends with questions on the four levels of the check
-- (ref_survey_questions.level_code): all_answers is the whole sheet, answers its part
-- before the level questions, the 2021 survey the 2021-dimension statistics and the
-- screening are computed on (so that the level questions move none of their figures);
-- for a questionnaire without level questions the two are the same array.
with

responses as (

    {{ promoted_rows('raw', 'survey_responses') }}

),

-- the last position before a questionnaire's level questions (only questionnaires
-- that have some)
level_questionnaires as (

    select
        questionnaire_id,
        min(answer_position) - 1 as last_survey_position
    from {{ ref('stg_reference__survey_questions') }}
    where level_code is not null
    group by questionnaire_id

),

final as (

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
        cast(case
            when level_questionnaires.last_survey_position is null then responses.answers
            else responses.answers[1:level_questionnaires.last_survey_position]
        end as integer[]) as answers,
        cast(responses.answers as integer[]) as all_answers

    from responses
    left join level_questionnaires
        on responses.questionnaire_id = level_questionnaires.questionnaire_id

)

select * from final
