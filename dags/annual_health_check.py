"""一年一体检 – the annual city health check.

One run per check year (data interval = the calendar year, China time): ingest
every annual source for that year, validate each batch, build the marts with
dbt and publish an immutable release. A source whose delivery fails parsing or
validation fails its own task; the others go on, the marts are built from what
passed, and the run ends failed so that the data engineer sees it.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, TaskGroup, task
from airflow.timetables.interval import CronDataIntervalTimetable

from cityhealth import pipeline
from cityhealth.notify import on_failure

WRITER_POOL = "warehouse_writer"  # one slot: DuckDB has one writer at a time

with DAG(
    dag_id="annual_health_check",
    description="一年一体检: ingest, validate, build the marts and the city health index, publish",
    schedule=CronDataIntervalTimetable("0 0 1 1 *", timezone=pipeline.TIMEZONE),
    start_date=pendulum.datetime(2020, 1, 1, tz=pipeline.TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "city-health-data", "retries": 0, "on_failure_callback": on_failure},
    tags=["annual", "health-check", "一年一体检"],
    doc_md=__doc__,
) as dag:

    @task
    def check_period(data_interval_start=None) -> str:
        """The check year this run covers (from its data interval, not the clock)."""
        return str(pipeline.check_year_of(data_interval_start))

    period = check_period()

    @task(pool=WRITER_POOL)
    def ingest(source_id: str, period: str) -> dict[str, int]:
        return pipeline.ingest(source_id, period)

    @task(pool=WRITER_POOL)
    def validate(source_id: str, period: str) -> dict[str, int]:
        return pipeline.validate(source_id, period)

    validated = []
    for source_id in pipeline.sources_with_cadence("annual"):
        with TaskGroup(group_id=source_id):
            loaded = ingest.override(task_id="ingest")(source_id, period)
            checked = validate.override(task_id="validate")(source_id, period)
            loaded >> checked
            validated.append(checked)

    @task(pool=WRITER_POOL, trigger_rule="all_done")
    def build_marts(period: str) -> None:
        """dbt build over every promoted batch (what failed stays out)."""
        pipeline.build_marts(int(period))

    @task(pool=WRITER_POOL)
    def publish_release(period: str, run_id: str | None = None) -> str:
        return pipeline.publish_release(period, run_id or "manual")

    @task
    def write_reports(period: str) -> list[str]:
        """城市体检报告: one self-contained HTML report per city from the release."""
        return pipeline.write_reports(period)

    @task
    def all_batches_valid() -> None:
        """Fails (upstream_failed) when any source's ingest or validation failed."""

    built = build_marts(period)
    validated >> built
    built >> publish_release(period) >> write_reports(period)
    validated >> all_batches_valid()
