-- The distribution of measurement errors of the uncertainty analysis (doc block
-- index_method, section 5 (e)): per indicator of the catalogue, the relative errors a
-- simulation may draw, numbered 1 … errors_available. They are the gap_rel (self-check
-- vs third party, fct_reconciliation, all years) of the indicator when it has at least
-- uncertainty_error_min_gaps of them (error_source = 'indicator'), else the gaps of all
-- indicators pooled ('pooled'); with fewer pooled gaps than that the indicator has no
-- row here and a simulation draws e uniformly in ±uncertainty_error_default ('default').
-- |e| is capped at uncertainty_error_cap.
with

gaps as (

    select
        indicator_code,
        area_code,
        period_year,
        gap_rel
    from {{ ref('fct_reconciliation') }}
    where gap_rel is not null

),

indicators as (

    select distinct indicator_code
    from {{ ref('int_indicators__by_year') }}

),

parameters as (

    select
        {{ assessment_parameter('uncertainty_error_min_gaps') }} as min_gaps,
        {{ assessment_parameter('uncertainty_error_cap') }} as error_cap

),

indicator_gap_counts as (

    select
        indicator_code,
        count(*) as indicator_gaps
    from gaps
    group by indicator_code

),

sources as (

    select
        indicators.indicator_code,
        case
            when coalesce(indicator_gap_counts.indicator_gaps, 0) >= parameters.min_gaps
                then 'indicator'
            when (select count(*) from gaps) >= parameters.min_gaps then 'pooled'
        end as error_source,
        parameters.error_cap

    from indicators
    cross join parameters
    left join indicator_gap_counts
        on indicators.indicator_code = indicator_gap_counts.indicator_code

),

own_errors as (

    select
        sources.indicator_code,
        sources.error_source,
        sources.error_cap,
        gaps.gap_rel,
        row_number() over (
            partition by sources.indicator_code order by gaps.area_code, gaps.period_year
        ) as error_number,
        count(*) over (partition by sources.indicator_code) as errors_available

    from sources
    inner join gaps
        on sources.indicator_code = gaps.indicator_code
    where sources.error_source = 'indicator'

),

pooled_errors as (

    select
        sources.indicator_code,
        sources.error_source,
        sources.error_cap,
        gaps.gap_rel,
        row_number() over (
            partition by sources.indicator_code
            order by gaps.indicator_code, gaps.area_code, gaps.period_year
        ) as error_number,
        count(*) over (partition by sources.indicator_code) as errors_available

    from sources
    cross join gaps
    where sources.error_source = 'pooled'

),

numbered as (

    select * from own_errors
    union all
    select * from pooled_errors

),

final as (

    select
        indicator_code,
        error_source,
        cast(error_number as integer) as error_number,
        cast(errors_available as integer) as errors_available,
        {{ clamp_to_range('gap_rel', '-error_cap', 'error_cap') }} as relative_error

    from numbered

)

select * from final
