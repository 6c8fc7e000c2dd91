{#
    Every non-null value of the column lies in [min_value, max_value].
    Usage:
        columns:
          - name: score
            data_tests:
              - is_between:
                  arguments: {min_value: 0, max_value: 100}
#}
{% test is_between(model, column_name, min_value, max_value) %}

select {{ column_name }} as value_out_of_range
from {{ model }}
where {{ column_name }} < {{ min_value }}
   or {{ column_name }} > {{ max_value }}

{% endtest %}
