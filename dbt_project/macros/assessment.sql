{#
    Building blocks of the assessment engine (diagnosis, early warning, rank
    uncertainty, five-year assessment, supervision). The methods in words are the doc
    blocks index_method and assessment_method (models/marts/). Every argument is a SQL
    expression (usually a column name), not a value.
#}

{#- A parameter of ref_assessment_parameters as a scalar subquery (a double). -#}
{% macro assessment_parameter(parameter_code) -%}
    (
        select cast(max(value) as double)
        from {{ ref('stg_reference__assessment_parameters') }}
        where parameter_code = '{{ parameter_code }}'
    )
{%- endmacro %}


{#-
    "Goodness" of a value, whatever the indicator's direction: larger is always better.
      higher_better: v;  lower_better: −v;
      target_range:  −(distance outside [low, high]), i.e. 0 anywhere inside the range.
    Used to compare a value with the year before (worsening) and to rank areas. Null
    stays null.
-#}
{% macro goodness(direction, value, low, high) -%}
    case
        when ({{ value }}) is null then null
        when ({{ direction }}) = 'higher_better' then ({{ value }})
        when ({{ direction }}) = 'lower_better' then -({{ value }})
        when ({{ direction }}) = 'target_range' then -({{ distance_outside_range(value, low, high) }})
    end
{%- endmacro %}


{#-
    What the warning thresholds (ref_indicators.warn_yellow / warn_red) are compared
    with: the value itself, or for target_range the distance outside [low, high].
-#}
{% macro warning_measure(direction, value, low, high) -%}
    case
        when ({{ value }}) is null then null
        when ({{ direction }}) = 'target_range' then {{ distance_outside_range(value, low, high) }}
        else ({{ value }})
    end
{%- endmacro %}


{#-
    Colour of a value against the warning thresholds:
      higher_better: red when v < warn_red,  yellow when v < warn_yellow, else green;
      lower_better:  red when v > warn_red,  yellow when v > warn_yellow, else green;
      target_range:  on d = distance outside [low, high]:
                     red when d > warn_red, yellow when d > warn_yellow, else green.
    Null when the value is missing or the catalogue gives no threshold at all.
-#}
{% macro warning_level(direction, value, yellow, red, low, high) -%}
    case
        when ({{ value }}) is null then null
        when ({{ yellow }}) is null and ({{ red }}) is null then null
        when ({{ direction }}) = 'higher_better' then
            case
                when ({{ value }}) < ({{ red }}) then 'red'
                when ({{ value }}) < ({{ yellow }}) then 'yellow'
                else 'green'
            end
        when ({{ direction }}) = 'lower_better' then
            case
                when ({{ value }}) > ({{ red }}) then 'red'
                when ({{ value }}) > ({{ yellow }}) then 'yellow'
                else 'green'
            end
        when ({{ direction }}) = 'target_range' then
            case
                when {{ distance_outside_range(value, low, high) }} > ({{ red }}) then 'red'
                when {{ distance_outside_range(value, low, high) }} > ({{ yellow }}) then 'yellow'
                else 'green'
            end
    end
{%- endmacro %}


{#-
    A number as text for the plain-language sentences: no exponent, at most two
    decimals (three below 1, one from 100 up), trailing zeros dropped: 8.2, 12, 0.125.
-#}
{% macro format_number(x) -%}
    case
        when ({{ x }}) is null then '—'
        else regexp_replace(
            regexp_replace(
                case
                    when abs({{ x }}) >= 100 then printf('%.1f', {{ x }})
                    when abs({{ x }}) >= 1 then printf('%.2f', {{ x }})
                    else printf('%.3f', {{ x }})
                end,
                '(\.[0-9]*?)0+$', '\1'
            ),
            '\.$', ''
        )
    end
{%- endmacro %}


{#-
    Length of the run of consecutive worsenings that ends at the current row, for rows
    of one series (partition_by) ordered by a period sequence number (1 step = 1
    period). A row is a worsening when its goodness is below the previous period's
    and the previous period is the one just before; a gap or a missing value ends the
    run. Needs the columns is_worse (boolean) computed with lag() beforehand; returns
    an expression for a select list over a CTE that has is_worse and run_group (see
    worsening_run_group).
-#}
{% macro worsening_run_group(partition_by, order_by) -%}
    sum(case when coalesce(is_worse, false) then 0 else 1 end) over (
        partition by {{ partition_by }} order by {{ order_by }}
        rows between unbounded preceding and current row
    )
{%- endmacro %}

{% macro worsening_run_length(partition_by, order_by) -%}
    cast(sum(case when coalesce(is_worse, false) then 1 else 0 end) over (
        partition by {{ partition_by }}, run_group order by {{ order_by }}
        rows between unbounded preceding and current row
    ) as integer)
{%- endmacro %}


{#-
    The run vars: the check year and the five-year plan period (五年一评估). Every run
    passes all three (cityhealth.warehouse.dbt.build, cityhealth.core.periods.Period.dbt_vars; a unit
    test fixes them in overrides.vars); there are no defaults, so a missing one fails
    with a message saying so instead of silently building another year or plan. While
    dbt only parses (dbt parse, dbt ls: nothing is executed) a missing var reads as 0.
    The baseline year of the plan is plan_start − 1.
-#}
{% macro run_var(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none and execute -%}
        {{ exceptions.raise_compiler_error(
            "dbt var '" ~ name ~ "' is not set. Every build passes check_year, plan_start "
            ~ "and plan_end (cityhealth.warehouse.dbt.build / cityhealth.core.periods.Period.dbt_vars), e.g. "
            ~ "--vars '{check_year: 2025, plan_start: 2021, plan_end: 2025}'; a unit test "
            ~ "sets them in overrides.vars."
        ) }}
    {%- endif -%}
    {{ return(value | int) }}
{%- endmacro %}

{% macro check_year() -%}
    {{ return(run_var('check_year')) }}
{%- endmacro %}

{% macro plan_start() -%}
    {{ return(run_var('plan_start')) }}
{%- endmacro %}

{% macro plan_end() -%}
    {{ return(run_var('plan_end')) }}
{%- endmacro %}

{% macro plan_baseline_year() -%}
    {{ return(run_var('plan_start') - 1) }}
{%- endmacro %}

-- The weighted mean of a composite's parts over the parts that have a score: a part
-- without a score drops out and the others' weights are renormalised (null when no part
-- is scored). parts: list of [score_column, weight_column].
{% macro weighted_score_of_scored_parts(parts) -%}
    (
        {%- for score, weight in parts %}
        {% if not loop.first %}+ {% endif %}coalesce({{ weight }} * {{ score }}, 0)
        {%- endfor %}
    ) / nullif(
        {%- for score, weight in parts %}
        {% if not loop.first %}+ {% endif %}case when {{ score }} is not null then coalesce({{ weight }}, 0) else 0 end
        {%- endfor %},
        0
    )
{%- endmacro %}

-- How many of a composite's parts have a score.
{% macro parts_scored(score_columns) -%}
    cast(
        {%- for score in score_columns %}
        {% if not loop.first %}+ {% endif %}({{ score }} is not null)::integer
        {%- endfor %}
        as integer
    )
{%- endmacro %}

-- Join the weight of one part of a composite valid in the row's year.
{% macro join_part_weight(weights, alias, part_code, year_column) -%}
    left join {{ weights }} as {{ alias }}
        on {{ alias }}.part_code = '{{ part_code }}'
        and {{ is_valid_in_year(alias, year_column, 'valid_from_year', 'valid_to_year') }}
{%- endmacro %}
