-- The simulations of the uncertainty analysis (doc block index_method, section 5): one
-- row per simulation s and check year with the state each factor takes in it, every
-- state a deterministic pseudo-random draw keyed by (s, factor) – by (s, factor, year)
-- for the indicator left out, as the catalogue differs by year.
with

simulation_ids as (

    select cast(range as integer) as simulation_id
    from range(1, cast({{ assessment_parameter('uncertainty_simulations') }} as bigint) + 1)

),

catalogue as (

    select
        period_year,
        indicator_code,
        cast(row_number() over (
            partition by period_year order by indicator_code
        ) as integer) as catalogue_position,
        count(*) over (partition by period_year) as indicators_in_year

    from {{ ref('int_indicators__by_year') }}

),

years as (

    select distinct
        period_year,
        indicators_in_year
    from catalogue

),

drawn as (

    select
        simulation_ids.simulation_id,
        years.period_year,
        {{ state_draw(assessment_parameter('uncertainty_factor_states'),
            'simulation_ids.simulation_id', "'weights'") }} as weights_state,
        {{ state_draw(assessment_parameter('uncertainty_factor_states'),
            'simulation_ids.simulation_id', "'standards'") }} as standards_state,
        case {{ state_draw('2', 'simulation_ids.simulation_id', "'aggregation'") }}
            when 0 then 'arithmetic'
            else 'geometric'
        end as aggregation,
        -- 0 = no indicator left out, k = the k-th indicator of the year's catalogue
        {{ state_draw('years.indicators_in_year + 1',
            'simulation_ids.simulation_id', "'leave_out'", 'years.period_year') }}
            as left_out_position,
        {{ state_draw(assessment_parameter('uncertainty_factor_states'),
            'simulation_ids.simulation_id', "'measurement_error'") }} as measurement_state

    from simulation_ids
    cross join years

),

final as (

    select
        drawn.simulation_id,
        drawn.period_year,
        drawn.weights_state,
        drawn.standards_state,
        drawn.aggregation,
        catalogue.indicator_code as left_out_indicator_code,
        drawn.measurement_state

    from drawn
    left join catalogue
        on drawn.period_year = catalogue.period_year
        and drawn.left_out_position = catalogue.catalogue_position

)

select * from final
