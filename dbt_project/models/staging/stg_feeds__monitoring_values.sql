-- Monitoring values of promoted feed batches: one value per county × period × variable
-- (the latest load wins should a period be pulled twice). The period string is parsed
-- once here: '2025-07' is a month, '2025-Q3' a quarter.
with

source as (

    {{ promoted_rows('raw', 'monitoring_values') }}

),

renamed as (

    select
        source.batch_id,
        source.source_id,
        source.department_code,
        source.page as feed_page,
        source.item as feed_item,
        trim(source.area_code) as area_code,
        trim(source.period) as period,
        cast(source.period_year as integer) as period_year,
        case
            when trim(source.period) like '%-Q%' then 'quarter'
            else 'month'
        end as period_type,
        source.variable_label,
        trim(source.variable_code) as variable_code,
        cast(source.value as double) as value,
        source.delivered_unit,
        source.batch_loaded_at

    from source

),

parsed as (

    select
        *,
        -- month 1..12, or quarter 1..4
        cast(
            case period_type
                when 'quarter' then substr(period, 7, 1)
                else substr(period, 6, 2)
            end as integer
        ) as period_number

    from renamed

),

with_dates as (

    select
        *,
        case period_type
            when 'quarter' then make_date(period_year, 3 * period_number - 2, 1)
            else make_date(period_year, period_number, 1)
        end as period_start,
        case period_type
            when 'quarter' then last_day(make_date(period_year, 3 * period_number, 1))
            else last_day(make_date(period_year, period_number, 1))
        end as period_end

    from parsed

),

deduplicated as (

    {{ latest_load_wins('with_dates', ['area_code', 'period', 'variable_code'], ['feed_page', 'feed_item']) }}

)

select * from deduplicated
