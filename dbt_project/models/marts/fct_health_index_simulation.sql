-- The simulated indices of the uncertainty analysis (doc block index_method, section 5):
-- one row per simulation × area (city or county) × year with the index computed under
-- the simulation's states (dim_uncertainty_simulation), every area with an index, ranked
-- or not (fct_health_index_simulated ranks them). Per indicator value:
--   (b) standard (or target bounds) and zero point shifted by the standards state,
--   (d) the indicator left out of the simulation dropped for every area,
--   (e) the value × (1 + e) of the measurement-error state,
-- scored with normalised_score; dimension scores and (c) the arithmetic index are
-- weighted_score_mean, (a) with the dimension weights × the weights state's factors;
-- the geometric index is exp(Σ w ln max(score, floor) / Σ w), a dimension without a score
-- counting as index_gap_score (as in the arithmetic mean).
-- It reads no rank of fct_health_index and no dimension score, so that it is built as
-- soon as the indicator scores are (it is the longest model of a build), while the
-- dimension scores and the index are computed and ranked beside it.
--
-- One branch per year, joined by UNION ALL: a year's simulations are independent of
-- another's, and DuckDB runs the branches on all its threads. As one query, the
-- simulations multiplied the year's 7,000 values into 1.4 million rows inside a single
-- pipeline fed by a table of one row group, hence on one thread (7 s for six years on
-- two cores, 2.7 s in branches). A value's measurement error depends on the measurement
-- state only, so it is drawn per state (20) rather than per simulation (200). The
-- small tables every branch reads are "not materialized": each branch then reads them
-- with its year's filter, instead of all branches waiting for one shared copy (about a
-- fifth slower).
{%- set years = [] -%}
{%- if execute -%}
    {%- set held = run_query("select distinct period_year from "
        ~ ref('dim_uncertainty_simulation') ~ " order by period_year") -%}
    {%- set years = held.columns[0].values() | list -%}
{%- endif %}
{#- parsing (nothing executed) or no simulation yet: one branch that selects nothing (a
    simulation always has a year), so that the model is valid SQL and, built, empty -#}
{%- set branches = years if years else [none] %}

with

indicator_scores as not materialized (

    select
        area_code,
        area_level,
        period_year,
        indicator_code,
        dimension_code,
        direction,
        indicator_weight,
        -- the value the standard applies to (per resident for size-dependent indicators)
        scored_value as value_to_score,
        standard_value,
        target_low,
        target_high,
        score_zero_at

    from {{ ref('fct_indicator_score') }}
    where area_level in ('city', 'county')

),

simulations as not materialized (

    select * from {{ ref('dim_uncertainty_simulation') }}

),

measurement_errors as not materialized (

    select
        indicator_code,
        error_number,
        errors_available,
        relative_error
    from {{ ref('dim_uncertainty_measurement_error') }}

),

errors_available as not materialized (

    select distinct
        indicator_code,
        errors_available
    from measurement_errors

),

-- the weight of a dimension in the index for an area's weight tier (valid_from_year and
-- valid_to_year: the years it holds for), as fct_dimension_score gives it, but read where
-- that model reads it, so that the simulations need not wait for the dimension scores
area_tiers as not materialized (

    select
        area_code,
        weight_tier
    from {{ ref('dim_area') }}
    where area_level in ('city', 'county')

),

index_weights as not materialized (

    select
        valid_from_year,
        valid_to_year,
        weight_tier,
        dimension_code,
        weight as dimension_weight
    from {{ ref('stg_reference__index_weights') }}
    where weight is not null

),

parameters as not materialized (

    select
        cast({{ assessment_parameter('uncertainty_factor_states') }} as integer) as factor_states,
        {{ assessment_parameter('uncertainty_standard_shift') }} as standard_shift,
        {{ assessment_parameter('uncertainty_weight_factor_low') }} as weight_factor_low,
        {{ assessment_parameter('uncertainty_weight_factor_high') }} as weight_factor_high,
        {{ assessment_parameter('uncertainty_geometric_floor') }} as geometric_floor,
        {{ assessment_parameter('uncertainty_error_default') }} as default_error

),

factor_states as not materialized (

    select cast(range as integer) as factor_state
    from range(0, (select factor_states from parameters))

),

-- (b) per standards state and indicator: shifts a (standard) and b (zero point), each
-- uniform in ±uncertainty_standard_shift
standard_shifts as not materialized (

    select
        factor_states.factor_state as standards_state,
        indicators.indicator_code,
        parameters.standard_shift
            * (2 * {{ uniform_draw('factor_states.factor_state', "'standard'", 'indicators.indicator_code') }} - 1)
            as standard_shift,
        parameters.standard_shift
            * (2 * {{ uniform_draw('factor_states.factor_state', "'zero_point'", 'indicators.indicator_code') }} - 1)
            as zero_point_shift

    from factor_states
    cross join parameters
    cross join (
        select distinct indicator_code from {{ ref('int_indicators__by_year') }}
    ) as indicators

),

-- (a) per weights state and dimension: the factor low + (high − low) · u
weight_factors as not materialized (

    select
        factor_states.factor_state as weights_state,
        dimensions.dimension_code,
        parameters.weight_factor_low
            + (parameters.weight_factor_high - parameters.weight_factor_low)
            * {{ uniform_draw('factor_states.factor_state', "'weights'", 'dimensions.dimension_code') }}
            as weight_factor

    from factor_states
    cross join parameters
    cross join (select dimension_code from {{ ref('stg_reference__dimensions') }}) as dimensions

),

{% for year in branches %}
{%- set of_year = 'period_year is null' if year is none else 'period_year = ' ~ year %}
{%- set k = loop.index %}

-- year {{ year if year is not none else '(none)' }}: (e) per measurement state and value,
-- the number of the error drawn among the indicator's errors_available,
-- 1 + hash(state, area, year, indicator) % errors_available
error_draws_{{ k }} as (

    select
        factor_states.factor_state as measurement_state,
        indicator_scores.*,
        errors_available.errors_available,
        hash(
            factor_states.factor_state, 'measurement_error', indicator_scores.area_code,
            indicator_scores.period_year, indicator_scores.indicator_code
        ) as error_hash

    from indicator_scores
    cross join factor_states
    left join errors_available
        on indicator_scores.indicator_code = errors_available.indicator_code
    where indicator_scores.{{ of_year }}

),

measured_values_{{ k }} as (

    select
        error_draws.measurement_state,
        error_draws.area_code,
        error_draws.area_level,
        error_draws.period_year,
        error_draws.indicator_code,
        error_draws.dimension_code,
        error_draws.direction,
        error_draws.indicator_weight,
        error_draws.standard_value,
        error_draws.target_low,
        error_draws.target_high,
        error_draws.score_zero_at,
        error_draws.value_to_score * (1 + case
            when error_draws.errors_available is null then parameters.default_error
                * (2 * (error_draws.error_hash % 1000000 / 1000000.0) - 1)
            else measurement_errors.relative_error
        end) as simulated_value

    from error_draws_{{ k }} as error_draws
    cross join parameters
    left join measurement_errors
        on error_draws.indicator_code = measurement_errors.indicator_code
        and cast(error_draws.error_hash % cast(error_draws.errors_available as ubigint) as integer) + 1
            = measurement_errors.error_number

),

-- each simulation's values: its measurement state's, the indicator left out dropped,
-- standard and zero point shifted by its standards state
simulated_values_{{ k }} as (

    select
        simulations.simulation_id,
        measured.area_code,
        measured.dimension_code,
        measured.direction,
        measured.indicator_weight,
        measured.simulated_value,
        -- higher/lower_better: standard and zero point moved along the scale by a and b
        -- times the standard-to-zero distance; target_range: both bounds moved by
        -- a × zero_at (the width kept), the zero distance × (1 + b)
        measured.standard_value + standard_shifts.standard_shift
            * (measured.standard_value - measured.score_zero_at) as simulated_standard,
        case measured.direction
            when 'target_range' then
                measured.score_zero_at * (1 + standard_shifts.zero_point_shift)
            else measured.score_zero_at + standard_shifts.zero_point_shift
                * (measured.standard_value - measured.score_zero_at)
        end as simulated_zero_at,
        measured.target_low
            + standard_shifts.standard_shift * measured.score_zero_at as simulated_low,
        measured.target_high
            + standard_shifts.standard_shift * measured.score_zero_at as simulated_high

    from measured_values_{{ k }} as measured
    inner join simulations
        on measured.period_year = simulations.period_year
        and measured.measurement_state = simulations.measurement_state
        and measured.indicator_code is distinct from simulations.left_out_indicator_code
    left join standard_shifts
        on simulations.standards_state = standard_shifts.standards_state
        and measured.indicator_code = standard_shifts.indicator_code

),

simulated_scores_{{ k }} as (

    select
        simulation_id,
        area_code,
        dimension_code,
        indicator_weight,
        {{ normalised_score(
            'direction', 'simulated_value', 'simulated_standard', 'simulated_zero_at',
            'simulated_low', 'simulated_high') }} as simulated_score

    from simulated_values_{{ k }}

),

-- grouped by the simulation, area and dimension alone (the year is the branch's): the
-- widest aggregate of the model
simulated_dimensions_{{ k }} as (

    select
        simulation_id,
        area_code,
        dimension_code,
        {{ weighted_score_mean('simulated_score', 'indicator_weight') }} as dimension_score

    from simulated_scores_{{ k }}
    group by simulation_id, area_code, dimension_code

),

weighted_dimensions_{{ k }} as (

    select
        simulations.simulation_id,
        simulations.aggregation,
        simulations.period_year,
        dimensions.area_code,
        dimensions.dimension_score,
        dimension_weights.dimension_weight * weight_factors.weight_factor as simulated_weight,
        parameters.geometric_floor

    from simulated_dimensions_{{ k }} as dimensions
    cross join parameters
    inner join simulations
        on dimensions.simulation_id = simulations.simulation_id
        and simulations.{{ of_year }}
    inner join area_tiers
        on dimensions.area_code = area_tiers.area_code
    inner join index_weights as dimension_weights
        on area_tiers.weight_tier = dimension_weights.weight_tier
        and dimensions.dimension_code = dimension_weights.dimension_code
        and {{ is_valid_in_year('dimension_weights', 'simulations.period_year',
                                'valid_from_year', 'valid_to_year') }}
    inner join weight_factors
        on simulations.weights_state = weight_factors.weights_state
        and dimensions.dimension_code = weight_factors.dimension_code

),

simulated_index_{{ k }} as (

    select
        simulation_id,
        area_code,
        period_year,
        case aggregation
            when 'geometric' then {{ clamp_to_range(
                'exp(sum(simulated_weight * ln(greatest(coalesce(dimension_score, '
                    ~ index_gap_score() ~ '), geometric_floor)))'
                    ~ ' / nullif(sum(simulated_weight), 0))'
            ) }}
            else {{ weighted_score_mean('dimension_score', 'simulated_weight') }}
        end as simulated_index

    from weighted_dimensions_{{ k }}
    group by simulation_id, aggregation, area_code, period_year

),
{% endfor %}

areas as (

    select distinct
        area_code,
        area_level
    from indicator_scores

),

final as (

    select
        simulated.simulation_id,
        simulated.area_code,
        areas.area_level,
        simulated.period_year,
        simulated.simulated_index

    from (
        {%- for year in branches %}
        select * from simulated_index_{{ loop.index }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as simulated
    inner join areas
        on simulated.area_code = areas.area_code
    where simulated.simulated_index is not null

)

select * from final
