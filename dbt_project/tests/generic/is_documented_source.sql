{#
    Every value states where a parameter comes from, in one of two forms (the vars
    source_document_pattern and source_judgement_pattern, dbt_project.yml):
        文件：<document with its title in 《》>；条款：<clause>[；remark]
        专家判断：<body>，<YYYY-MM-DD>[；remark]
    An empty value fails, and so does a source in neither form. Usage:
        columns:
          - name: standard_source_zh
            data_tests: [is_documented_source]
#}
{% test is_documented_source(model, column_name) %}

select {{ column_name }} as undocumented_source
from {{ model }}
where {{ column_name }} is null
   or not (
        regexp_full_match({{ column_name }}, '{{ var("source_document_pattern") }}')
        or regexp_full_match({{ column_name }}, '{{ var("source_judgement_pattern") }}')
   )

{% endtest %}
