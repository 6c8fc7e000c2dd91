-- Resident satisfaction (居民满意度) per area (county, city, province), year and
-- dimension (the eight, plus ALL = overall), with sample size, a confidence interval
-- at the level survey_confidence_level (ref_assessment_parameters, 0.95) and what
-- became of the answer sheets received. Unit: the respondent
-- (int_survey__respondent_scores, score 0–100; counted sheets only).
--   county: mean of its n respondents' scores; standard error se = sd / √n (sd: sample
--           standard deviation over respondents); ν = n − 1 degrees of freedom.
--   city, province: population-weighted mean of their counties' means (weight w_c =
--           the county's resident population, var('population_variable'), of the
--           survey year or the latest year before it); counties are strata sampled
--           independently, so se = √(Σ w_c² · se_c²) / Σ w_c, and ν is Satterthwaite's
--           (Σ v_c)² / Σ (v_c² / (n_c − 1)) with v_c = w_c² · se_c² (Σ (n_c − 1) when
--           every v_c is 0).
--   interval: mean ± t · se, t = t_{1 − (1 − level)/2, ⌊ν⌋} (macro t_critical_value).
-- Counties without respondents or without a population are left out of the roll-up;
-- counties_surveyed / counties_expected shows it. The interval covers sampling error only.
-- The counts of answer sheets (received, repeat submissions removed, screened out by
-- reason; int_survey__submissions) are per area × year, the same on every dimension
-- row, summed over all the area's counties for a city or the province.
with

respondent_scores as (

    select * from {{ ref('int_survey__respondent_scores') }}

),

submissions as (

    select * from {{ ref('int_survey__submissions') }}

),

areas as (

    select
        area_code,
        area_level,
        city_code
    from {{ ref('dim_area') }}

),

population as (

    select
        area_code,
        period_year,
        value as population
    from {{ ref('stg_departments__values') }}
    where variable_code = '{{ var("population_variable") }}'
        and value is not null

),

county_stats as (

    select
        respondent_scores.area_code,
        respondent_scores.period_year,
        respondent_scores.dimension_code,
        count(*) as respondents,
        -- exact sums (macro exact_sum): a floating-point mean depends on the order of
        -- the rows, and a county's interval moved in its last digit between two builds
        {{ exact_sum('respondent_scores.satisfaction_score') }} / count(*)
            as satisfaction_score,
        {{ exact_sum('respondent_scores.mean_answer') }} / count(*) as mean_answer,
        -- sample standard deviation from the exact sums of x and x²
        case when count(*) > 1 then sqrt(greatest(
            ({{ exact_sum('power(respondent_scores.satisfaction_score, 2)') }}
                - power({{ exact_sum('respondent_scores.satisfaction_score') }}, 2) / count(*))
            / (count(*) - 1), 0)) end as score_sd

    from respondent_scores
    inner join areas
        on respondent_scores.area_code = areas.area_code
        and areas.area_level = 'county'
    group by respondent_scores.area_code, respondent_scores.period_year,
        respondent_scores.dimension_code

),

county_weighted as (

    select
        county_stats.*,
        county_population.population,
        county_stats.score_sd / sqrt(county_stats.respondents) as standard_error

    from county_stats
    asof left join population as county_population
        on county_stats.area_code = county_population.area_code
        and county_stats.period_year >= county_population.period_year

),

memberships as (

    select
        area_code as county_code,
        city_code as rollup_area_code
    from areas
    where area_level = 'county'

    union all

    select
        counties.area_code as county_code,
        province.area_code as rollup_area_code
    from areas as counties
    cross join areas as province
    where counties.area_level = 'county'
        and province.area_level = 'province'

),

expected_counties as (

    select
        rollup_area_code,
        count(*) as counties_expected
    from memberships
    group by rollup_area_code

),

-- what became of the answer sheets, per county and year
county_sheet_counts as (

    select
        submissions.area_code,
        submissions.period_year,
        count(*) as answer_sheets_received,
        count(*) filter (where submissions.exclusion_reason = 'repeat_submission')
            as repeat_submissions_removed,
        count(*) filter (where submissions.exclusion_reason = 'too_fast')
            as respondents_screened_too_fast,
        count(*) filter (where submissions.exclusion_reason = 'straight_lining')
            as respondents_screened_straight_lining,
        count(*) filter (where submissions.exclusion_reason = 'no_scored_answer')
            as respondents_screened_no_answer

    from submissions
    inner join areas
        on submissions.area_code = areas.area_code
        and areas.area_level = 'county'
    group by submissions.area_code, submissions.period_year

),

-- … and summed over all the counties of a city or the province
sheet_counts as (

    select * from county_sheet_counts

    union all

    select
        memberships.rollup_area_code as area_code,
        county_sheet_counts.period_year,
        sum(county_sheet_counts.answer_sheets_received),
        sum(county_sheet_counts.repeat_submissions_removed),
        sum(county_sheet_counts.respondents_screened_too_fast),
        sum(county_sheet_counts.respondents_screened_straight_lining),
        sum(county_sheet_counts.respondents_screened_no_answer)

    from county_sheet_counts
    inner join memberships
        on county_sheet_counts.area_code = memberships.county_code
    group by memberships.rollup_area_code, county_sheet_counts.period_year

),

rolled_up as (

    select
        memberships.rollup_area_code as area_code,
        county_weighted.period_year,
        county_weighted.dimension_code,
        sum(county_weighted.respondents) as respondents,
        -- exact sums (macro exact_sum): the score does not depend on the order of the rows
        {{ exact_sum('county_weighted.population * county_weighted.satisfaction_score') }}
            / {{ exact_sum('county_weighted.population') }} as satisfaction_score,
        {{ exact_sum('county_weighted.population * county_weighted.mean_answer') }}
            / {{ exact_sum('county_weighted.population') }} as mean_answer,
        -- v_c = w_c² · se_c², the stratum's part of the variance (up to 1 / (Σ w)²)
        sum(power(county_weighted.population, 2) * power(county_weighted.standard_error, 2))
            as variance_sum,
        sum(
            power(power(county_weighted.population, 2) * power(county_weighted.standard_error, 2), 2)
            / (county_weighted.respondents - 1)
        ) as satterthwaite_denominator,
        sum(county_weighted.respondents - 1) as pooled_degrees_of_freedom,
        -- a stratum of one respondent has no variance estimate: no interval for the area
        count(*) filter (where county_weighted.standard_error is null) as strata_without_se,
        count(*) as counties_surveyed,
        sum(county_weighted.population) as population

    from county_weighted
    inner join memberships
        on county_weighted.area_code = memberships.county_code
    where county_weighted.population > 0
    group by memberships.rollup_area_code, county_weighted.period_year,
        county_weighted.dimension_code

),

unioned as (

    select
        area_code,
        'county' as area_level,
        period_year,
        dimension_code,
        respondents,
        satisfaction_score,
        mean_answer,
        score_sd,
        standard_error,
        case when standard_error is not null then respondents - 1.0 end
            as degrees_of_freedom,
        cast(1 as bigint) as counties_surveyed,
        cast(1 as bigint) as counties_expected,
        population

    from county_weighted

    union all

    select
        rolled_up.area_code,
        areas.area_level,
        rolled_up.period_year,
        rolled_up.dimension_code,
        rolled_up.respondents,
        rolled_up.satisfaction_score,
        rolled_up.mean_answer,
        null as score_sd,
        case when rolled_up.strata_without_se = 0
            then sqrt(rolled_up.variance_sum) / rolled_up.population
        end as standard_error,
        case
            when rolled_up.strata_without_se > 0 then null
            when rolled_up.variance_sum > 0
                then power(rolled_up.variance_sum, 2) / rolled_up.satterthwaite_denominator
            else cast(rolled_up.pooled_degrees_of_freedom as double)
        end as degrees_of_freedom,
        rolled_up.counties_surveyed,
        expected_counties.counties_expected,
        rolled_up.population

    from rolled_up
    inner join areas
        on rolled_up.area_code = areas.area_code
    inner join expected_counties
        on rolled_up.area_code = expected_counties.rollup_area_code

),

with_critical_value as (

    select
        unioned.*,
        {{ t_critical_value('unioned.degrees_of_freedom',
                            assessment_parameter('survey_confidence_level')) }}
            as critical_value,
        {{ assessment_parameter('survey_confidence_level') }} as confidence_level

    from unioned

),

final as (

    select
        with_critical_value.area_code,
        with_critical_value.area_level,
        with_critical_value.period_year,
        with_critical_value.dimension_code,
        with_critical_value.dimension_code = 'ALL' as is_overall,
        cast(with_critical_value.respondents as integer) as respondents,
        with_critical_value.satisfaction_score,
        with_critical_value.satisfaction_score
            - with_critical_value.critical_value * with_critical_value.standard_error as ci_low,
        with_critical_value.satisfaction_score
            + with_critical_value.critical_value * with_critical_value.standard_error as ci_high,
        with_critical_value.confidence_level,
        with_critical_value.standard_error,
        with_critical_value.degrees_of_freedom,
        with_critical_value.critical_value,
        cast(with_critical_value.score_sd as double) as score_sd,
        with_critical_value.mean_answer,
        cast(with_critical_value.counties_surveyed as integer) as counties_surveyed,
        cast(with_critical_value.counties_expected as integer) as counties_expected,
        with_critical_value.population as population_weight,
        cast(sheet_counts.answer_sheets_received as integer) as answer_sheets_received,
        cast(sheet_counts.repeat_submissions_removed as integer) as repeat_submissions_removed,
        cast(sheet_counts.answer_sheets_received - sheet_counts.repeat_submissions_removed
            as integer) as respondents_received,
        cast(sheet_counts.respondents_screened_too_fast as integer)
            as respondents_screened_too_fast,
        cast(sheet_counts.respondents_screened_straight_lining as integer)
            as respondents_screened_straight_lining,
        cast(sheet_counts.respondents_screened_no_answer as integer)
            as respondents_screened_no_answer,
        cast(sheet_counts.respondents_screened_too_fast
            + sheet_counts.respondents_screened_straight_lining
            + sheet_counts.respondents_screened_no_answer as integer) as respondents_screened_out,
        (sheet_counts.respondents_screened_too_fast
            + sheet_counts.respondents_screened_straight_lining
            + sheet_counts.respondents_screened_no_answer)
            / (sheet_counts.answer_sheets_received - sheet_counts.repeat_submissions_removed)
            as share_screened_out

    from with_critical_value
    left join sheet_counts
        on with_critical_value.area_code = sheet_counts.area_code
        and with_critical_value.period_year = sheet_counts.period_year

)

select * from final
