-- Indicator values of every county for every indicator and year that applies: the
-- numerator and denominator are the variables the catalogue names, read from the one
-- shared delivery of each (a base number such as resident population is delivered once
-- and used by every indicator: 五统一). value = numerator / denominator × multiplier, or
-- numerator × multiplier when the indicator has no denominator. A county without the
-- needed variables keeps its row with a null value, so coverage stays visible.
-- scale_value is the county's value of the catalogue's score_per_variable (the size a
-- count is scored per, e.g. the resident population), null for other indicators.
with

indicator_years as (

    select * from {{ ref('int_indicators__by_year') }}

),

counties as (

    select
        area_code,
        city_code
    from {{ ref('stg_reference__areas') }}
    where area_level = 'county'

),

variable_values as (

    select
        area_code,
        period_year,
        variable_code,
        value,
        batch_id
    from {{ ref('stg_departments__values') }}

),

population as (

    select
        area_code,
        period_year,
        value as population,
        batch_id
    from variable_values
    where variable_code = '{{ var("population_variable") }}'

),

joined as (

    select
        counties.area_code,
        counties.city_code,
        indicator_years.period_year,
        indicator_years.indicator_code,
        indicator_years.aggregation,
        indicator_years.denominator_variable,
        indicator_years.multiplier,
        numerator_values.value as numerator,
        numerator_values.batch_id as numerator_batch_id,
        denominator_values.value as denominator,
        denominator_values.batch_id as denominator_batch_id,
        population.population,
        population.batch_id as population_batch_id,
        scale_values.value as scale_value

    from indicator_years
    cross join counties
    left join variable_values as numerator_values
        on counties.area_code = numerator_values.area_code
        and indicator_years.period_year = numerator_values.period_year
        and indicator_years.numerator_variable = numerator_values.variable_code
    left join variable_values as denominator_values
        on counties.area_code = denominator_values.area_code
        and indicator_years.period_year = denominator_values.period_year
        and indicator_years.denominator_variable = denominator_values.variable_code
    left join population
        on counties.area_code = population.area_code
        and indicator_years.period_year = population.period_year
    left join variable_values as scale_values
        on counties.area_code = scale_values.area_code
        and indicator_years.period_year = scale_values.period_year
        and indicator_years.score_per_variable = scale_values.variable_code

),

computed as (

    select
        *,
        case
            when numerator is null then null
            when denominator_variable is null then numerator * multiplier
            when denominator is null or denominator = 0 then null
            else numerator / denominator * multiplier
        end as value

    from joined

),

final as (

    select
        area_code,
        city_code,
        period_year,
        indicator_code,
        aggregation,
        multiplier,
        numerator,
        denominator,
        value,
        population,
        scale_value,
        value is not null as has_value,
        -- the batches behind the value (population only where it weights);
        -- list_distinct also drops the nulls of variables not involved
        case
            when value is null then []::varchar[]
            else list_sort(list_distinct([
                numerator_batch_id,
                denominator_batch_id,
                case when aggregation = 'weighted_mean' then population_batch_id end
            ]))
        end as batch_ids

    from computed

)

select * from final
