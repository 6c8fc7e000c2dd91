{#
    How scores are averaged into a dimension score and into the index, written once and
    used by fct_dimension_score, fct_health_index and every model that recomputes the
    index (uncertainty, trajectories under one method). See the doc block index_method,
    steps 3 and 4.
#}

{#-
    Weighted mean of scores as an aggregate expression over the rows of a group, where
    a gap never helps: every row that is expected (is_expected, default every row) and
    has a weight counts with its weight, and a row without a score counts as
    index_gap_score (ref_assessment_parameters, 0: 未报送按0分计) instead of dropping out:

        Σ weight × coalesce(score, index_gap_score) / Σ weight    over the expected rows

    clamped exactly to [0, 100]. Null when no expected row has a score (nothing to
    report). Dropping a row's score can therefore only lower the mean (or leave it when
    the score was index_gap_score), never raise it: re-normalising over the scores present
    would impute the mean of the others.
-#}
{% macro weighted_score_mean(score, weight, is_expected='true') -%}
    {%- set counted = '(' ~ weight ~ ') is not null and (' ~ is_expected ~ ')' -%}
    case
        when count({{ score }}) filter (where {{ counted }}) > 0 then
            {{ clamp_to_range(
                exact_sum('(' ~ weight ~ ') * coalesce(' ~ score ~ ', ' ~ index_gap_score() ~ ')',
                    counted) ~ ' / nullif(' ~ exact_sum(weight, counted) ~ ', 0)',
                0, 100) }}
    end
{%- endmacro %}


{#- The score a missing indicator (or dimension) score counts as, as an SQL expression. -#}
{% macro index_gap_score() -%}
    {{ assessment_parameter('index_gap_score') }}
{%- endmacro %}


{#-
    Sum of a DOUBLE expression that does not depend on the order of the rows: each value
    is rounded to 12 decimals and summed exactly as a DECIMAL(38, 12), then returned as a
    DOUBLE. A plain floating-point sum depends on the order in which DuckDB's threads meet
    the rows, so two builds of the same data could differ in the last bits, and two
    periods with the same values could compare as better or worse (seen in the early
    warning's trend). Values must stay below 10^26 in magnitude. Optional filter: the
    condition of the aggregate's FILTER clause.
-#}
{% macro exact_sum(expr, filter=none) -%}
    cast(sum(cast({{ expr }} as decimal(38, 12)))
        {%- if filter is not none %} filter (where {{ filter }}){% endif %} as double)
{%- endmacro %}


{#-
    Mean of a DOUBLE expression that does not depend on the order of the rows: exact_sum
    over the non-null values divided by their count (what avg() computes, with a sum that
    every build adds up the same way). Optional filter as for exact_sum.
-#}
{% macro exact_mean(expr, filter=none) -%}
    ({{ exact_sum(expr, filter) }} / nullif(count({{ expr }})
        {%- if filter is not none %} filter (where {{ filter }}){% endif %}, 0))
{%- endmacro %}
