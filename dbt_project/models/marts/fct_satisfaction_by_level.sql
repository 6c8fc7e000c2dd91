-- Resident satisfaction (居民满意度) per level of the four-level check (住房, 小区（社区）,
-- 街区, 城区（城市）; 2024 on) and overall over the level questions (ALL), per area
-- (county, city, province) and year, with sample size and a confidence interval at the
-- level survey_confidence_level (ref_assessment_parameters). Unit: the respondent
-- (int_survey__level_scores, score 0–100; counted sheets only). The statistics are
-- fct_satisfaction's, level in place of dimension:
--   county: mean of its n respondents' scores (exact sums), se = sd / √n, ν = n − 1.
--   city, province: population-weighted mean of their counties' means; se =
--           √(Σ w_c² · se_c²) / Σ w_c, ν by Satterthwaite (Σ (n_c − 1) when every
--           stratum's variance is 0).
--   interval: mean ± t · se, t = t_{1 − (1 − level)/2, ⌊ν⌋} (macro t_critical_value).
-- Years whose questionnaire has no level questions (before 2024) have no rows. What
-- became of the answer sheets (received, repeats, screened out) is the same for every
-- question of a sheet and is published once, in fct_satisfaction.
with

level_scores as (

    select * from {{ ref('int_survey__level_scores') }}

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
        level_scores.area_code,
        level_scores.period_year,
        level_scores.level_code,
        count(*) as respondents,
        -- exact sums (macro exact_sum): a floating-point mean depends on the order of
        -- the rows, and a county's interval moved in its last digit between two builds
        {{ exact_sum('level_scores.satisfaction_score') }} / count(*)
            as satisfaction_score,
        {{ exact_sum('level_scores.mean_answer') }} / count(*) as mean_answer,
        -- sample standard deviation from the exact sums of x and x²
        case when count(*) > 1 then sqrt(greatest(
            ({{ exact_sum('power(level_scores.satisfaction_score, 2)') }}
                - power({{ exact_sum('level_scores.satisfaction_score') }}, 2) / count(*))
            / (count(*) - 1), 0)) end as score_sd

    from level_scores
    inner join areas
        on level_scores.area_code = areas.area_code
        and areas.area_level = 'county'
    group by level_scores.area_code, level_scores.period_year,
        level_scores.level_code

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
        county_weighted.level_code,
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
        county_weighted.level_code

),

unioned as (

    select
        area_code,
        'county' as area_level,
        period_year,
        level_code,
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
        rolled_up.level_code,
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
        area_code,
        area_level,
        period_year,
        level_code,
        level_code = 'ALL' as is_overall,
        cast(respondents as integer) as respondents,
        satisfaction_score,
        satisfaction_score - critical_value * standard_error as ci_low,
        satisfaction_score + critical_value * standard_error as ci_high,
        confidence_level,
        standard_error,
        degrees_of_freedom,
        critical_value,
        cast(score_sd as double) as score_sd,
        mean_answer,
        cast(counties_surveyed as integer) as counties_surveyed,
        cast(counties_expected as integer) as counties_expected,
        population as population_weight

    from with_critical_value

)

select * from final
