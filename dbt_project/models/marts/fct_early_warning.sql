-- Early warning (监测预警): red / yellow / green per indicator × area × period, for the
-- annual values of every indicator (frequency annual, period '2025') and for the monthly
-- and quarterly monitoring values of the monitored indicators (period '2025-07' or
-- '2025-Q3', int_monitoring_values). The colour by thresholds (macro warning_level on
-- ref_indicators.warn_yellow / warn_red; for target_range on the distance outside the
-- range), then the trend: a green value whose last warning_trend_periods (3) periods of
-- the same series each got worse than the one before is escalated to yellow. Only
-- values that exist are warned about; indicators with spatial_level city are warned
-- about for cities and the province only. A size-dependent indicator (catalogue
-- score_per_variable, e.g. TC01) is warned about on its scored_value (per million
-- residents, the scale its thresholds are on); such an indicator has annual values only
-- (no monitoring feed carries its scale), so monitoring values are warned about on the value.
with

annual_scores as (

    select * from {{ ref('fct_indicator_score') }}

),

indicator_years as (

    select
        period_year,
        indicator_code,
        warn_yellow,
        warn_red
    from {{ ref('int_indicators__by_year') }}

),

monitoring_values as (

    select * from {{ ref('int_monitoring_values') }}
    where value is not null

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

annual as (

    select
        annual_scores.area_code,
        annual_scores.area_level,
        annual_scores.indicator_code,
        annual_scores.dimension_code,
        'annual' as frequency,
        cast(annual_scores.period_year as varchar) as period,
        annual_scores.period_year,
        make_date(annual_scores.period_year, 1, 1) as period_start,
        cast(annual_scores.period_year as bigint) as period_sequence,
        annual_scores.direction,
        annual_scores.value,
        annual_scores.scored_value,
        annual_scores.scored_value is distinct from annual_scores.value as is_scaled,
        annual_scores.target_low,
        annual_scores.target_high,
        indicator_years.warn_yellow,
        indicator_years.warn_red

    from annual_scores
    inner join indicator_years
        on annual_scores.period_year = indicator_years.period_year
        and annual_scores.indicator_code = indicator_years.indicator_code
    where annual_scores.scored_value is not null

),

monitored as (

    select
        monitoring_values.area_code,
        monitoring_values.area_level,
        monitoring_values.indicator_code,
        indicators.dimension_code,
        monitoring_values.frequency,
        monitoring_values.period,
        monitoring_values.period_year,
        monitoring_values.period_start,
        cast(
            case monitoring_values.period_type
                when 'quarter' then monitoring_values.period_year * 4 + monitoring_values.period_number
                else monitoring_values.period_year * 12 + monitoring_values.period_number
            end as bigint
        ) as period_sequence,
        indicators.direction,
        monitoring_values.value,
        monitoring_values.value as scored_value,
        false as is_scaled,
        indicators.target_low,
        indicators.target_high,
        indicators.warn_yellow,
        indicators.warn_red

    from monitoring_values
    inner join indicators
        on monitoring_values.indicator_code = indicators.indicator_code
        and {{ is_valid_in_year('indicators', 'monitoring_values.period_year') }}
    where (
            indicators.spatial_level = 'county'
            or monitoring_values.area_level in ('city', 'province')
        )
        and indicators.score_per_variable is null

),

unioned as (

    select * from annual
    union all
    select * from monitored

),

with_goodness as (

    select
        *,
        {{ goodness('direction', 'scored_value', 'target_low', 'target_high') }} as goodness,
        {{ warning_measure('direction', 'scored_value', 'target_low', 'target_high') }}
            as warning_measure,
        {{ warning_level(
            'direction', 'scored_value', 'warn_yellow', 'warn_red', 'target_low', 'target_high'
        ) }} as threshold_level

    from unioned

),

with_previous as (

    select
        *,
        lag(goodness) over series as previous_goodness,
        lag(period_sequence) over series as previous_sequence

    from with_goodness
    window series as (partition by area_code, indicator_code, frequency order by period_sequence)

),

with_worse as (

    select
        *,
        goodness < previous_goodness and previous_sequence = period_sequence - 1 as is_worse
    from with_previous

),

with_run_group as (

    select
        *,
        {{ worsening_run_group('area_code, indicator_code, frequency', 'period_sequence') }}
            as run_group
    from with_worse

),

with_run as (

    select
        *,
        {{ worsening_run_length('area_code, indicator_code, frequency', 'period_sequence') }}
            as worsening_periods
    from with_run_group

),

final as (

    select
        area_code,
        area_level,
        indicator_code,
        dimension_code,
        frequency,
        period,
        period_year,
        period_start,
        direction,
        value,
        case
            when direction = 'target_range' then 'distance_outside_range'
            when is_scaled then 'scored_value'
            else 'value'
        end as warning_basis,
        warning_measure,
        warn_yellow,
        warn_red,
        threshold_level,
        worsening_periods,
        -- N periods each worse than the one before = N − 1 consecutive worsenings
        worsening_periods >= {{ assessment_parameter('warning_trend_periods') }} - 1
            as is_worsening_trend,
        case
            when threshold_level = 'green'
                and worsening_periods >= {{ assessment_parameter('warning_trend_periods') }} - 1
                then 'yellow'
            else threshold_level
        end as warning_level,
        threshold_level = 'green'
            and worsening_periods >= {{ assessment_parameter('warning_trend_periods') }} - 1
            as is_escalated,
        period_sequence = max(period_sequence) over (
            partition by area_code, indicator_code, frequency
        ) as is_latest_period

    from with_run
    where threshold_level is not null

)

select * from final
