-- Rank uncertainty of the city health index (a Monte Carlo sensitivity analysis in the
-- sense of the OECD/JRC handbook): for every year the cities are ranked again under
-- many alternative index constructions, and the spread of each city's rank is reported.
-- Simulation s (1 … uncertainty_simulations of ref_assessment_parameters):
--   * normalisation: odd s use the standard score (linear to the standard, as the
--     index), even s the min–max score across the cities of the year
--     (fct_indicator_score_min_max);
--   * weights: every dimension weight of the area's tier and year × a factor
--     low + (high − low) · u(s, dimension), u = hash(s, dimension_code) % 10000 / 10000
--     (deterministic pseudo-random numbers in [0, 1): same inputs, same ranks), then
--     re-normalised over the dimensions scored.
-- Dimension scores are the catalogue-weighted means of the indicator scores present, as
-- in fct_dimension_score. The rank per simulation is rank() by the simulated index
-- (1 = best) among the cities the index ranks (fct_health_index.rank_in_province not
-- null); the median and the 5 % and 95 % quantiles are quantile_disc (actual ranks).
with

indicator_scores as (

    select * from {{ ref('fct_indicator_score_min_max') }}

),

dimension_weights as (

    select
        area_code,
        period_year,
        dimension_code,
        dimension_weight
    from {{ ref('fct_dimension_score') }}
    where area_level = 'city'
        and dimension_weight is not null

),

baseline as (

    select
        area_code,
        period_year,
        health_index,
        rank_in_province
    from {{ ref('fct_health_index') }}
    where area_level = 'city'

),

simulations as (

    select
        cast(range as integer) as simulation_id,
        case when range % 2 = 1 then 'standard' else 'min_max' end as normalisation
    from range(1, cast({{ assessment_parameter('uncertainty_simulations') }} as bigint) + 1)

),

-- dimension scores of each city and year under both normalisations
dimension_scores as (

    select
        area_code,
        period_year,
        dimension_code,
        sum(indicator_weight * standard_score) filter (where standard_score is not null)
            / nullif(sum(indicator_weight) filter (where standard_score is not null), 0)
            as standard_dimension_score,
        sum(indicator_weight * min_max_score) filter (where min_max_score is not null)
            / nullif(sum(indicator_weight) filter (where min_max_score is not null), 0)
            as min_max_dimension_score

    from indicator_scores
    group by area_code, period_year, dimension_code

),

weight_factors as (

    select
        simulations.simulation_id,
        simulations.normalisation,
        dimensions.dimension_code,
        {{ assessment_parameter('uncertainty_weight_factor_low') }}
            + (
                {{ assessment_parameter('uncertainty_weight_factor_high') }}
                - {{ assessment_parameter('uncertainty_weight_factor_low') }}
            )
            * (hash(simulations.simulation_id, dimensions.dimension_code) % 10000 / 10000.0)
            as weight_factor

    from simulations
    cross join (select dimension_code from {{ ref('stg_reference__dimensions') }}) as dimensions

),

simulated_index as (

    select
        weight_factors.simulation_id,
        dimension_scores.area_code,
        dimension_scores.period_year,
        sum(
            dimension_weights.dimension_weight * weight_factors.weight_factor
            * case weight_factors.normalisation
                when 'standard' then dimension_scores.standard_dimension_score
                else dimension_scores.min_max_dimension_score
            end
        ) / nullif(sum(
            dimension_weights.dimension_weight * weight_factors.weight_factor
        ) filter (
            where case weight_factors.normalisation
                when 'standard' then dimension_scores.standard_dimension_score
                else dimension_scores.min_max_dimension_score
            end is not null
        ), 0) as simulated_index

    from dimension_scores
    inner join dimension_weights
        on dimension_scores.area_code = dimension_weights.area_code
        and dimension_scores.period_year = dimension_weights.period_year
        and dimension_scores.dimension_code = dimension_weights.dimension_code
    inner join weight_factors
        on dimension_scores.dimension_code = weight_factors.dimension_code
    group by weight_factors.simulation_id, dimension_scores.area_code, dimension_scores.period_year

),

simulated_ranks as (

    select
        simulated_index.simulation_id,
        simulated_index.area_code,
        simulated_index.period_year,
        simulated_index.simulated_index,
        rank() over (
            partition by simulated_index.simulation_id, simulated_index.period_year
            order by simulated_index.simulated_index desc
        ) as simulated_rank

    from simulated_index
    -- only the cities the index ranks (coverage at least rank_min_indicator_coverage)
    inner join baseline
        on simulated_index.area_code = baseline.area_code
        and simulated_index.period_year = baseline.period_year
    where simulated_index.simulated_index is not null
        and baseline.rank_in_province is not null

),

summarised as (

    select
        area_code,
        period_year,
        cast(count(*) as integer) as simulations,
        cast(quantile_disc(simulated_rank, 0.5) as integer) as rank_median,
        cast(quantile_disc(simulated_rank, 0.05) as integer) as rank_p05,
        cast(quantile_disc(simulated_rank, 0.95) as integer) as rank_p95,
        cast(min(simulated_rank) as integer) as rank_best,
        cast(max(simulated_rank) as integer) as rank_worst

    from simulated_ranks
    group by area_code, period_year

),

final as (

    select
        summarised.area_code,
        summarised.period_year,
        baseline.health_index,
        baseline.rank_in_province,
        summarised.rank_median,
        summarised.rank_p05,
        summarised.rank_p95,
        summarised.rank_best,
        summarised.rank_worst,
        summarised.simulations

    from summarised
    left join baseline
        on summarised.area_code = baseline.area_code
        and summarised.period_year = baseline.period_year

)

select * from final
