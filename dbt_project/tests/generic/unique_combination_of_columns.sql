{#
    The columns together identify a row (the model's grain). dbt_utils has the same
    test; packages cannot be downloaded here, so the project carries its own.
    Usage:
        data_tests:
          - unique_combination_of_columns:
              arguments:
                combination_of_columns: [area_code, period_year]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with duplicated as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as rows_with_this_key
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

)

select * from duplicated

{% endtest %}
