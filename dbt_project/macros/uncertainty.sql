{#
    Pseudo-random numbers of the uncertainty analysis (fct_health_index_uncertainty,
    doc block index_method, section 5), computed from the arguments alone so that a
    build is deterministic and set-based: the same simulation, factor and key give the
    same number in every build, whatever the order of the rows.
#}

{#-
    u(args) in [0, 1): hash(args…) % 1 000 000 / 1 000 000, a uniform draw keyed by the
    arguments (SQL expressions; put a quoted factor name among them so that two factors
    never share a draw). Usage: {{ uniform_draw('simulation_id', "'weights'") }}.
-#}
{% macro uniform_draw() -%}
    (hash({{ varargs | join(', ') }}) % 1000000 / 1000000.0)
{%- endmacro %}


{#- A whole number in 0 … n − 1 keyed by the arguments (n a SQL expression). -#}
{% macro state_draw(n) -%}
    cast(hash({{ varargs | join(', ') }}) % cast({{ n }} as ubigint) as integer)
{%- endmacro %}
