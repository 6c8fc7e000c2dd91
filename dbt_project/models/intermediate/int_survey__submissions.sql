-- Every answer sheet of the satisfaction survey (promoted batches, survey years up to
-- the check year) with what the statistics do with it, the one place where repeat
-- submissions are removed and careless answering is screened out. In this order:
--   1. repeat_submission: a respondent who submitted more than once in a year (same
--      respondent_key) counts once, with the latest submission (latest submitted_at;
--      ties: the later batch, then the higher answer sheet number); the others are
--      removed.
--   2. too_fast: the kept sheet was completed in fewer than
--      survey_min_duration_seconds seconds (ref_assessment_parameters; a sheet without
--      a duration is not screened by this rule).
--   3. straight_lining: at least survey_straight_lining_min_questions scored answers
--      (不了解 not counted), all identical.
--   4. no_scored_answer: only 不了解, no score to average.
-- exclusion_reason is the first rule that holds (null: the sheet is counted).
-- Computed on the sheets' answers arrays (stg_survey__responses) with list functions,
-- one row per sheet from the start: no row per answer, no aggregate over answers.
with

responses as (

    select * from {{ ref('stg_survey__responses') }}
    where period_year <= {{ check_year() }}

),

sheets as (

    select
        batch_id,
        response_id,
        respondent_key,
        area_code,
        period_year,
        submitted_at,
        duration_seconds,
        questionnaire_id,
        -- list_count counts the non-null elements: the scored answers
        cast(list_count(answers) as integer) as scored_answers,
        list_min(answers) as lowest_answer,
        list_max(answers) as highest_answer

    from responses

),

ranked as (

    select
        sheets.*,
        row_number() over (
            partition by respondent_key, period_year
            order by submitted_at desc nulls last, batch_id desc, response_id desc
        ) = 1 as is_latest_submission

    from sheets

),

screened as (

    select
        ranked.*,
        case
            when not is_latest_submission
                then 'repeat_submission'
            when duration_seconds < {{ assessment_parameter('survey_min_duration_seconds') }}
                then 'too_fast'
            when scored_answers >= {{ assessment_parameter('survey_straight_lining_min_questions') }}
                and lowest_answer = highest_answer
                then 'straight_lining'
            when scored_answers = 0
                then 'no_scored_answer'
        end as exclusion_reason

    from ranked

),

final as (

    select
        batch_id,
        response_id,
        respondent_key,
        area_code,
        period_year,
        submitted_at,
        duration_seconds,
        questionnaire_id,
        scored_answers,
        is_latest_submission,
        exclusion_reason,
        exclusion_reason is null as is_counted

    from screened

)

select * from final
