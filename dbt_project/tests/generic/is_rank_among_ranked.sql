{#
    A rank lies between 1 and the number of rows ranked in its partition (the rows of
    the partition whose rank is not null): the bound comes from the data, so the test
    holds for a province of any size. Usage:
        columns:
          - name: rank_in_province
            data_tests:
              - is_rank_among_ranked:
                  arguments: {partition_by: [period_year]}
#}
{% test is_rank_among_ranked(model, column_name, partition_by) %}

with ranked as (

    select
        {{ column_name }} as rank_value,
        count({{ column_name }}) over (partition by {{ partition_by | join(', ') }}) as rows_ranked
    from {{ model }}

)

select rank_value, rows_ranked
from ranked
where rank_value is not null
    and (rank_value < 1 or rank_value > rows_ranked)

{% endtest %}
