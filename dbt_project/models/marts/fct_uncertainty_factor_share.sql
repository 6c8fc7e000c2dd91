-- Sensitivity of the ranks to each factor of the uncertainty analysis (doc block
-- index_method, section 5): per year, level (city, county) and factor, the first-order
-- share of the rank variance – the variance of the conditional mean rank given the
-- factor's state over the total variance of the rank – estimated by a one-way analysis
-- of variance of every area's simulated ranks grouped by the factor's state, with the
-- finite-sample bias removed (ε²: SS_between − (G − 1) · SS_within / (N − G)), pooled over
-- the areas of the level (Σ over areas / Σ total SS) and limited to [0, 1].
with

simulated as (

    select * from {{ ref('fct_health_index_simulated') }}

),

simulations as (

    select * from {{ ref('dim_uncertainty_simulation') }}

),

factors as (

    select factor_code
    from (values
        ('weights'),
        ('standards'),
        ('aggregation'),
        ('leave_one_out'),
        ('measurement_error')
    ) as factor_list (factor_code)

),

-- every simulated rank once per factor, with the state the factor took in it
rank_by_state as (

    select
        simulated.area_code,
        simulated.area_level,
        simulated.period_year,
        factors.factor_code,
        case factors.factor_code
            when 'weights' then cast(simulations.weights_state as varchar)
            when 'standards' then cast(simulations.standards_state as varchar)
            when 'aggregation' then simulations.aggregation
            when 'leave_one_out' then coalesce(simulations.left_out_indicator_code, 'none')
            when 'measurement_error' then cast(simulations.measurement_state as varchar)
        end as factor_state,
        cast(simulated.simulated_rank as double) as simulated_rank

    from simulated
    inner join simulations
        on simulated.simulation_id = simulations.simulation_id
        and simulated.period_year = simulations.period_year
    cross join factors

),

per_state as (

    select
        area_code,
        area_level,
        period_year,
        factor_code,
        factor_state,
        count(*) as state_simulations,
        avg(simulated_rank) as state_mean_rank,
        sum(simulated_rank * simulated_rank) as state_sum_of_squares

    from rank_by_state
    group by area_code, area_level, period_year, factor_code, factor_state

),

per_area as (

    select
        area_code,
        area_level,
        period_year,
        factor_code,
        count(*) as states,
        sum(state_simulations) as simulations,
        sum(state_simulations * state_mean_rank) / sum(state_simulations) as mean_rank,
        sum(state_sum_of_squares) as sum_of_squares,
        sum(state_simulations * state_mean_rank * state_mean_rank) as state_mean_squares

    from per_state
    group by area_code, area_level, period_year, factor_code

),

anova as (

    select
        area_code,
        area_level,
        period_year,
        factor_code,
        states,
        simulations,
        -- total and between-state sums of squares around the area's mean rank
        greatest(sum_of_squares - simulations * mean_rank * mean_rank, 0) as ss_total,
        greatest(state_mean_squares - simulations * mean_rank * mean_rank, 0) as ss_between

    from per_area

),

adjusted as (

    select
        *,
        case when simulations > states then
            ss_between - (states - 1) * greatest(ss_total - ss_between, 0) / (simulations - states)
        end as ss_between_adjusted

    from anova

),

final as (

    select
        period_year,
        area_level,
        factor_code,
        cast(count(*) as integer) as areas,
        cast(max(simulations) as integer) as simulations,
        cast(max(states) as integer) as factor_states,
        avg(ss_total / nullif(simulations - 1, 0)) as rank_variance_mean,
        {{ clamp_0_1('sum(ss_between) / nullif(sum(ss_total), 0)') }}
            as first_order_share_unadjusted,
        {{ clamp_0_1('sum(ss_between_adjusted) / nullif(sum(ss_total), 0)') }}
            as first_order_share

    from adjusted
    group by period_year, area_level, factor_code

)

select * from final
