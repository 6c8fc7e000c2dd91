-- Two-sided critical values of Student's t distribution (ref_t_quantiles), read by the
-- macro t_critical_value; the row with a null degrees_of_freedom is the normal quantile.
with

source as (

    select * from {{ ref('ref_t_quantiles') }}

),

typed as (

    select
        cast(confidence_level as double) as confidence_level,
        cast(degrees_of_freedom as integer) as degrees_of_freedom,
        cast(critical_value as double) as critical_value

    from source

)

select * from typed
