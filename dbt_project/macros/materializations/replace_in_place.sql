{#-
  Tables and views are replaced in place: one `create or replace` inside the model's
  transaction, instead of dbt's build-beside-and-swap (create `<model>__dbt_tmp`, rename
  the old one to `<model>__dbt_backup`, rename the new one, commit, drop the backup).

  The reader sees the same: DuckDB's DDL is transactional, so until the model's
  transaction commits every other connection reads the old relation, and a failed build
  (a constraint refused a row, the SQL failed) rolls back with the old relation in place.
  The swap's two renames and its drop each cost dbt a macro context and a logged query,
  some 35 ms of dbt's Python per model (benchmarks/README.md, ninth round), while the
  swap protects nothing DuckDB's transaction does not.
-#}

{% materialization table, adapter="duckdb", supported_languages=["sql"] %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type="table") -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  -- `BEGIN` happens here:
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if existing_relation is not none and not existing_relation.is_table %}
    {{ drop_relation_if_exists(existing_relation) }}
  {% endif %}
  {% call statement("main") -%}
    {{ cityhealth_create_or_replace_table(target_relation, compiled_code) }}
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do persist_docs(target_relation, model) %}
  -- `COMMIT` happens here
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({"relations": [target_relation]}) }}
{% endmaterialization %}


{% materialization view, adapter="duckdb" %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type="view") -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  -- `BEGIN` happens here:
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if existing_relation is not none and not existing_relation.is_view %}
    {{ drop_relation_if_exists(existing_relation) }}
  {% endif %}
  {% call statement("main") -%}
    {%- if config.get("contract").enforced %}{{ get_assert_columns_equivalent(sql) }}{% endif %}
    create or replace view {{ target_relation }} as (
      {{ sql }}
    );
  {%- endcall %}

  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  -- `COMMIT` happens here
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({"relations": [target_relation]}) }}
{% endmaterialization %}


{#- dbt-duckdb's create_table_as (its contract branch: the columns with their types and
    constraints, then the rows), as `create or replace`. -#}
{% macro cityhealth_create_or_replace_table(relation, compiled_code) -%}
  {%- if config.get("contract").enforced -%}
    {{ get_assert_columns_equivalent(compiled_code) }}
    create or replace table {{ relation }} {{ get_table_columns_and_constraints() }};
    insert into {{ relation }} {{ get_column_names() }} (
      {{ get_select_subquery(compiled_code) }}
    );
  {%- else -%}
    create or replace table {{ relation }} as (
      {{ compiled_code }}
    );
  {%- endif -%}
{%- endmacro %}
