{#
    Scoring of indicator values, written once and used by fct_indicator_score (see the
    doc block index_method in models/marts/index_method.md for the method in words).
    Every argument is a SQL expression (usually a column name), not a value.
#}

{#- x limited to [0, 1]; null stays null (DuckDB's least/greatest would skip a null). -#}
{% macro clamp_0_1(x) -%}
    case
        when ({{ x }}) is null then null
        when ({{ x }}) < 0 then 0.0
        when ({{ x }}) > 1 then 1.0
        else ({{ x }})
    end
{%- endmacro %}


{#- How far a value lies outside [low, high], in the indicator's unit; 0 inside. -#}
{% macro distance_outside_range(value, low, high) -%}
    case
        when ({{ value }}) < ({{ low }}) then ({{ low }}) - ({{ value }})
        when ({{ value }}) > ({{ high }}) then ({{ value }}) - ({{ high }})
        else 0.0
    end
{%- endmacro %}


{#-
    Score 0..100 of one value.
      higher_better: 100 × clamp((v − zero_at) / (standard − zero_at))
      lower_better:  100 × clamp((zero_at − v) / (zero_at − standard))
      target_range:  100 inside [low, high], else 100 × clamp(1 − distance / zero_at),
                     distance = how far v lies outside the range (zero_at is a distance)
    A value at the standard (or inside the range) scores 100, at zero_at or beyond 0,
    linearly in between. A null value, or a catalogue row whose standard equals zero_at
    (no scale), gives a null score: never a silent 100 or 0.
-#}
{% macro normalised_score(direction, value, standard, zero_at, low, high) -%}
    case
        when ({{ value }}) is null then null
        when ({{ direction }}) = 'higher_better' then 100.0 * {{ clamp_0_1(
            '(' ~ value ~ ' - ' ~ zero_at ~ ') / nullif(' ~ standard ~ ' - ' ~ zero_at ~ ', 0)'
        ) }}
        when ({{ direction }}) = 'lower_better' then 100.0 * {{ clamp_0_1(
            '(' ~ zero_at ~ ' - ' ~ value ~ ') / nullif(' ~ zero_at ~ ' - ' ~ standard ~ ', 0)'
        ) }}
        when ({{ direction }}) = 'target_range' then 100.0 * {{ clamp_0_1(
            '1 - ' ~ distance_outside_range(value, low, high) ~ ' / nullif(' ~ zero_at ~ ', 0)'
        ) }}
    end
{%- endmacro %}


{#-
    Signed distance to the standard in the indicator's unit, positive = better than it:
      higher_better: v − standard;  lower_better: standard − v;
      target_range:  inside the range the margin to the nearer bound (≥ 0),
                     outside minus the distance to the range (< 0).
-#}
{% macro distance_to_standard(direction, value, standard, low, high) -%}
    case
        when ({{ value }}) is null then null
        when ({{ direction }}) = 'higher_better' then ({{ value }}) - ({{ standard }})
        when ({{ direction }}) = 'lower_better' then ({{ standard }}) - ({{ value }})
        when ({{ direction }}) = 'target_range' then
            case
                when ({{ value }}) < ({{ low }}) then ({{ value }}) - ({{ low }})
                when ({{ value }}) > ({{ high }}) then ({{ high }}) - ({{ value }})
                else least(({{ value }}) - ({{ low }}), ({{ high }}) - ({{ value }}))
            end
    end
{%- endmacro %}


{#- Attained: ≥ standard (higher_better), ≤ standard (lower_better), inside [low, high]. -#}
{% macro is_attained(direction, value, standard, low, high) -%}
    case
        when ({{ value }}) is null then null
        when ({{ direction }}) = 'higher_better' then ({{ value }}) >= ({{ standard }})
        when ({{ direction }}) = 'lower_better' then ({{ value }}) <= ({{ standard }})
        when ({{ direction }}) = 'target_range' then
            ({{ value }}) between ({{ low }}) and ({{ high }})
    end
{%- endmacro %}


{#-
    x limited to [low, high] exactly; null stays null. A weighted mean of scores that are
    all 100 can come out as 100.00000000000001 in floating point: the index and the
    dimension scores pass through this where they are computed.
-#}
{% macro clamp_to_range(x, low=0, high=100) -%}
    case
        when ({{ x }}) is null then null
        when ({{ x }}) < {{ low }} then cast({{ low }} as double)
        when ({{ x }}) > {{ high }} then cast({{ high }} as double)
        else ({{ x }})
    end
{%- endmacro %}


{#-
    The value compared with the standard: the value itself, or for a size-dependent
    indicator (score_per_variable set) value × score_per_multiplier / scale_value, e.g.
    events per million residents (scale_value = the area's resident population).
-#}
{% macro scored_value(value, scale_value, score_per_variable, score_per_multiplier) -%}
    case
        when ({{ score_per_variable }}) is null then ({{ value }})
        else ({{ value }}) * ({{ score_per_multiplier }}) / nullif(({{ scale_value }}), 0)
    end
{%- endmacro %}
