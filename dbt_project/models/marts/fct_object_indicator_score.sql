-- The four-level check's object indicators scored by the index's method (doc block
-- index_method, step 2): the scored value is the value per the catalogue's size
-- (score_per: e.g. buildings with a hazard per 100 buildings surveyed, parking places
-- short per 1000 households; macro scored_value), compared with the standard and scored
-- 0–100 (macro normalised_score); a measure is scored as it is. A withheld value keeps
-- its row with a null score, which the level score counts as index_gap_score.
with

indicator_values as (

    select * from {{ ref('int_object_indicator_values') }}

),

catalogue as (

    select * from {{ ref('stg_reference__object_indicators') }}

),

evaluated as (

    select
        indicator_values.area_code,
        indicator_values.area_level,
        indicator_values.period_year,
        indicator_values.indicator_code,
        catalogue.framework_code,
        catalogue.level_code,
        catalogue.section_code,
        catalogue.direction,
        catalogue.indicator_weight,
        indicator_values.value,
        indicator_values.size_value,
        {{ scored_value(
            'indicator_values.value', 'indicator_values.size_value',
            'catalogue.score_per', 'catalogue.score_per_multiplier'
        ) }} as scored_value,
        catalogue.score_unit_zh,
        catalogue.standard_value,
        catalogue.score_zero_at,
        catalogue.warn_yellow,
        catalogue.warn_red,
        indicator_values.objects_surveyed,
        indicator_values.objects_with_finding,
        indicator_values.counties_expected,
        indicator_values.counties_reported,
        indicator_values.is_complete,
        indicator_values.null_reason

    from indicator_values
    inner join catalogue
        on indicator_values.indicator_code = catalogue.indicator_code

),

final as (

    select
        area_code,
        area_level,
        period_year,
        indicator_code,
        framework_code,
        level_code,
        section_code,
        direction,
        indicator_weight,
        value,
        size_value,
        scored_value,
        score_unit_zh,
        standard_value,
        score_zero_at,
        {{ is_attained('direction', 'scored_value', 'standard_value', 'null', 'null') }}
            as is_attained,
        {{ distance_to_standard('direction', 'scored_value', 'standard_value', 'null', 'null') }}
            as distance_to_standard,
        {{ normalised_score(
            'direction', 'scored_value', 'standard_value', 'score_zero_at', 'null', 'null'
        ) }} as score,
        case
            when scored_value is null then null
            when direction = 'lower_better' and scored_value >= warn_red then 'red'
            when direction = 'lower_better' and scored_value >= warn_yellow then 'yellow'
            when direction = 'higher_better' and scored_value <= warn_red then 'red'
            when direction = 'higher_better' and scored_value <= warn_yellow then 'yellow'
            else 'none'
        end as warning_level,
        objects_surveyed,
        objects_with_finding,
        counties_expected,
        counties_reported,
        is_complete,
        null_reason

    from evaluated

)

select * from final
