"""Orchestration: the pipeline steps, the DAG parts, notifications and the Airflow
environment. Uses the parts (ingestion, expectations, warehouse, reports) and the core."""
