-- Survey answer sheets of promoted batches, one row per sheet with its answers array
-- (position i = the questionnaire's answer position i, ref_survey_questions; null =
-- 不了解). The survey statistics compute on the array with list functions
-- (int_survey__submissions, int_survey__respondent_scores), so that no model needs a
-- row per answer: at province scale (10 million sheets a year, 30 answers each) one row
-- per answer is what made the build's time and memory grow faster than the data.
-- stg_survey__answers is the same sheets unnested, one row per answer.
with

responses as (

    {{ promoted_rows('raw', 'survey_responses') }}

),

final as (

    select
        batch_id,
        source_id,
        row_number as export_row_number,
        response_id,
        respondent_key,
        trim(area_code) as area_code,
        cast(period_year as integer) as period_year,
        submitted_at,
        duration_seconds,
        questionnaire_id,
        cast(answers as integer[]) as answers

    from responses

)

select * from final
