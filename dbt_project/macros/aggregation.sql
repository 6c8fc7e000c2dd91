{#
    How scores are averaged into a dimension score and into the index, written once and
    used by fct_dimension_score, fct_health_index and every model that recomputes the
    index (uncertainty, trajectories under one method). See the doc block index_method,
    steps 3 and 4.
#}

{#-
    Weighted mean of scores as an aggregate expression over the rows of a group:
    Σ weight × score / Σ weight over the rows that have a score and a weight
    (rows without a score drop out and the weights of the others are re-normalised),
    clamped exactly to [0, 100]. Null when no row has a score.
-#}
{% macro weighted_score_mean(score, weight) -%}
    {{ clamp_to_range(
        'sum((' ~ weight ~ ') * (' ~ score ~ ')) filter (where (' ~ score ~ ') is not null and ('
            ~ weight ~ ') is not null) / nullif(sum(' ~ weight ~ ') filter (where ('
            ~ score ~ ') is not null and (' ~ weight ~ ') is not null), 0)', 0, 100) }}
{%- endmacro %}
