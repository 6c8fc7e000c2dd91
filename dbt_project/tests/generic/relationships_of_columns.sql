{#
    Every non-null value of each listed column is found in the column it refers to:
    dbt's relationships for several columns of a model at once, in one test node.
    Returns one row per value not found, with its column, the model it should be in and
    how many rows hold it.
    Usage (the model's data_tests):
        - relationships_of_columns:
            arguments:
              references:
                - {column: area_code, to: ref('dim_area'), field: area_code}
#}
{% test relationships_of_columns(model, references) %}

{% for reference in references %}
select
    '{{ reference.column }}' as column_name,
    cast(child.{{ reference.column }} as varchar) as value_not_found,
    '{{ reference.to.identifier }}.{{ reference.field }}' as should_be_in,
    count(*) as rows_with_value
from {{ model }} as child
left join {{ reference.to }} as parent
    on child.{{ reference.column }} = parent.{{ reference.field }}
where child.{{ reference.column }} is not null
    and parent.{{ reference.field }} is null
group by child.{{ reference.column }}
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}

{% endtest %}
