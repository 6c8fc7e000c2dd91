"""The DuckDB warehouse: connections, the one-writer rule, dbt and releases."""
