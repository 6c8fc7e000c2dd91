-- Monitoring values of promoted feed batches: one value per county × period × variable
-- (the latest load wins should a period be pulled twice). The period string is parsed
-- once here: '2025-07' is a month, '2025-Q3' a quarter.
with

promoted_batches as (

    select
        batch_id,
        loaded_at
    from {{ ref('stg_load__batches') }}
    where is_promoted

),

source as (

    select * from {{ source('raw', 'monitoring_values') }}

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
        promoted_batches.loaded_at as batch_loaded_at

    from source
    inner join promoted_batches
        on source.batch_id = promoted_batches.batch_id

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

    select * from with_dates
    qualify row_number() over (
        partition by area_code, period, variable_code
        order by batch_loaded_at desc nulls last, batch_id desc, feed_page desc, feed_item desc
    ) = 1

)

select * from deduplicated
