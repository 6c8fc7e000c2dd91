{#
    None of the listed columns holds a null: dbt's not_null for several columns at once,
    in one scan of the model and one test node (a node costs dbt about as much as a
    small query; a published view carries up to eight such columns). Returns one row per
    column that holds nulls, with how many.
    Usage (the model's data_tests):
        - not_null_columns:
            arguments:
              columns: [area_code, period_year]
#}
{% test not_null_columns(model, columns) %}

with null_rows as (

    select
        {%- for column in columns %}
        count(*) filter (where {{ column }} is null) as "{{ column }}"{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}

),

by_column as (

    unpivot null_rows on columns(*) into name column_name value rows_with_null

)

select column_name, rows_with_null
from by_column
where rows_with_null > 0

{% endtest %}
