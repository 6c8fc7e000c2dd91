{#
    The two rules every staging model of a delivered table follows, written once:
    only promoted batches are read, and the latest load wins. See macros/staging.yml.
#}

{% macro promoted_rows(source_name, table_name) -%}
    select
        source_rows.*,
        batches.loaded_at as batch_loaded_at
    from {{ source(source_name, table_name) }} as source_rows
    inner join {{ ref('stg_load__batches') }} as batches
        on source_rows.batch_id = batches.batch_id
    where batches.is_promoted
{%- endmacro %}


{% macro latest_load_wins(relation, key_columns, tiebreak_columns=[]) -%}
    select * from {{ relation }}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by batch_loaded_at desc nulls last, batch_id desc
            {%- for column in tiebreak_columns %}, {{ column }} desc{% endfor %}
    ) = 1
{%- endmacro %}
