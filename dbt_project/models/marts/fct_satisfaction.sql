-- Resident satisfaction (居民满意度) per area (county, city, province), year and
-- dimension (the eight, plus ALL = overall), with sample size and a 95 % confidence
-- interval. Unit: the respondent (int_survey__respondent_scores, score 0–100).
--   county: mean of its respondents' scores; standard error = sd / √n (sd: sample
--           standard deviation over respondents); CI = mean ± 1.96 · se.
--   city, province: population-weighted mean of their counties' means (weight = the
--           county's resident population, var('population_variable'), of the year or
--           the latest year before it); counties are strata sampled independently, so
--           se = √(Σ (w_c / Σw)² · sd_c² / n_c) and CI = mean ± 1.96 · se.
-- Counties without respondents or without a population are left out of the roll-up;
-- counties_surveyed / counties_expected shows it. The CI covers sampling error only.
with

respondent_scores as (

    select * from {{ ref('int_survey__respondent_scores') }}

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
        avg(respondent_scores.satisfaction_score) as satisfaction_score,
        avg(respondent_scores.mean_answer) as mean_answer,
        stddev_samp(respondent_scores.satisfaction_score) as score_sd

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

rolled_up as (

    select
        memberships.rollup_area_code as area_code,
        county_weighted.period_year,
        county_weighted.dimension_code,
        sum(county_weighted.respondents) as respondents,
        sum(county_weighted.population * county_weighted.satisfaction_score)
            / sum(county_weighted.population) as satisfaction_score,
        sum(county_weighted.population * county_weighted.mean_answer)
            / sum(county_weighted.population) as mean_answer,
        sqrt(
            sum(power(county_weighted.population, 2) * power(county_weighted.standard_error, 2))
        ) / sum(county_weighted.population) as standard_error,
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
        case when rolled_up.strata_without_se = 0 then rolled_up.standard_error end
            as standard_error,
        rolled_up.counties_surveyed,
        expected_counties.counties_expected,
        rolled_up.population

    from rolled_up
    inner join areas
        on rolled_up.area_code = areas.area_code
    inner join expected_counties
        on rolled_up.area_code = expected_counties.rollup_area_code

),

final as (

    select
        area_code,
        area_level,
        period_year,
        dimension_code,
        dimension_code = 'ALL' as is_overall,
        cast(respondents as integer) as respondents,
        satisfaction_score,
        satisfaction_score - 1.96 * standard_error as ci_low,
        satisfaction_score + 1.96 * standard_error as ci_high,
        standard_error,
        cast(score_sd as double) as score_sd,
        mean_answer,
        cast(counties_surveyed as integer) as counties_surveyed,
        cast(counties_expected as integer) as counties_expected,
        population as population_weight

    from unioned

)

select * from final
