-- The health index over the plan period (五年一评估): every area's index from the
-- baseline year (var('plan_start') − 1) to var('plan_end') or the check year, with the
-- change on the year before and on the baseline, the rank of a city and its change on
-- the baseline (positive = moved up); and beside each year's own figure the index
-- recomputed under the current method (fct_health_index_current_method: the catalogue
-- and dimension weights of the trajectory's last year), the method effect (own −
-- current method) and the real change on the baseline under that one method.
-- No change here depends on the simulations of the uncertainty analysis: the rank
-- interval is joined in the published view (pub_index_trajectory) only.
-- Each year also names the check's primary (official) framework of that year
-- (ref_frameworks: CHK2021 for 2020–2023, CHK2024 from 2024) and the framework the index
-- itself is computed on (the dimensions' framework, CHK2021 to 2025); the first year
-- after a switch of the primary framework is flagged with a note, so that a change
-- across 2023→2024 is not read as a change within one framework.
{%- set baseline_year = plan_baseline_year() %}
with

health_index as (

    select * from {{ ref('fct_health_index') }}
    where period_year between {{ baseline_year }} and {{ plan_end() }}

),

current_method as (

    select
        area_code,
        period_year,
        method_year,
        health_index_current_method,
        rank_in_province_current_method
    from {{ ref('fct_health_index_current_method') }}

),

joined as (

    select
        health_index.area_code,
        health_index.area_level,
        health_index.period_year,
        health_index.health_index,
        health_index.rank_in_province,
        health_index.indicator_coverage_pct,
        current_method.method_year,
        -- in the method year the current method is the year's own: its own figure, not the
        -- recomputation (equal up to the floating-point order of the sums, ~1e-14)
        case when health_index.period_year = current_method.method_year
            then health_index.health_index
            -- 10 decimals: recomputed under the year's own method, the figure differs from
            -- the own one only by the summation order (~1e-14, not stable between builds),
            -- which must not publish as a method effect
            else round(current_method.health_index_current_method, 10)
        end as health_index_current_method,
        case when health_index.period_year = current_method.method_year
            then health_index.rank_in_province
            else current_method.rank_in_province_current_method
        end as rank_in_province_current_method

    from health_index
    left join current_method
        on health_index.area_code = current_method.area_code
        and health_index.period_year = current_method.period_year

),

frameworks as (

    select * from {{ ref('stg_reference__frameworks') }}

),

-- the primary framework of each year of the trajectory, and the index's own framework
year_frameworks as (

    select
        years.period_year,
        primary_framework.framework_code,
        primary_framework.framework_name_zh,
        previous_framework.framework_code as previous_framework_code,
        previous_framework.framework_name_zh as previous_framework_name_zh,
        index_framework.framework_code as index_framework_code,
        index_framework.framework_name_zh as index_framework_name_zh

    from (select distinct period_year from health_index) as years
    left join frameworks as primary_framework
        on {{ is_valid_in_year('primary_framework', 'years.period_year',
            'primary_year_from', 'primary_year_to') }}
    left join frameworks as previous_framework
        on {{ is_valid_in_year('previous_framework', 'years.period_year - 1',
            'primary_year_from', 'primary_year_to') }}
    left join frameworks as index_framework
        on index_framework.framework_code = (
            select any_value(dimensions.framework_code)
            from {{ ref('stg_reference__dimensions') }} as dimensions
            where {{ is_valid_in_year('dimensions', 'years.period_year') }}
        )

),

with_history as (

    select
        joined.*,
        year_frameworks.* exclude (period_year),
        lag(health_index) over (partition by area_code order by period_year) as previous_index,
        lag(period_year) over (partition by area_code order by period_year) as previous_year,
        max(health_index) filter (where period_year = {{ baseline_year }})
            over (partition by area_code) as baseline_index,
        max(rank_in_province) filter (where period_year = {{ baseline_year }})
            over (partition by area_code) as baseline_rank,
        max(health_index_current_method) filter (where period_year = {{ baseline_year }})
            over (partition by area_code) as baseline_index_current_method,
        max(rank_in_province_current_method) filter (where period_year = {{ baseline_year }})
            over (partition by area_code) as baseline_rank_current_method

    from joined
    left join year_frameworks using (period_year)

),

final as (

    select
        area_code,
        area_level,
        period_year,
        {{ plan_start() }} as plan_start,
        {{ plan_end() }} as plan_end,
        {{ baseline_year }} as baseline_year,
        period_year = {{ baseline_year }} as is_baseline_year,
        health_index,
        case when previous_year = period_year - 1
            then health_index - previous_index
        end as index_change_yoy,
        health_index - baseline_index as index_change_from_baseline,
        rank_in_province,
        cast(baseline_rank - rank_in_province as integer) as rank_change_from_baseline,
        method_year,
        health_index_current_method,
        round(health_index - health_index_current_method, 10) + 0.0 as method_effect,
        round(health_index_current_method - baseline_index_current_method, 10) + 0.0
            as index_change_from_baseline_current_method,
        rank_in_province_current_method,
        cast(baseline_rank_current_method - rank_in_province_current_method as integer)
            as rank_change_from_baseline_current_method,
        indicator_coverage_pct,
        framework_code,
        index_framework_code,
        coalesce(
            previous_framework_code <> framework_code, false
        ) as is_framework_switch_year,
        case when previous_framework_code <> framework_code
            then '自' || period_year || '年起城市体检的主要框架由'
                || previous_framework_name_zh || '（'
                || previous_framework_code || '）改为'
                || framework_name_zh || '（'
                || framework_code || '）'
                || case
                    when index_framework_code is distinct from
                        framework_code
                        then '；本轨迹的城市健康指数各年仍按'
                            || coalesce(index_framework_name_zh, '原框架')
                            || '计算，年度间可比，但不反映'
                            || framework_name_zh || '的体检结果（见四级体检得分）'
                    else '；与' || (period_year - 1)
                        || '年的指数不是同一体检框架下的数值，不可直接比较'
                end
        end as framework_note_zh

    from with_history

)

select * from final
