"""一年一体检 – the annual city health check.

One run per check year (data interval = the calendar year, China time): ingest
every annual source for that year, validate each batch, build the marts with dbt
(the reference data when it changed, then every other model in one build), publish
an immutable release (announced on the Asset ``cityhealth_annual_release``) and
write the city reports. A source whose delivery fails parsing or validation fails its
own task; the others go on, the marts are built from what passed, and the run ends
failed so that the data engineer sees it.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task
from airflow.timetables.interval import CronDataIntervalTimetable

from cityhealth.core.periods import TIMEZONE
from cityhealth.orchestration import dag_parts, pipeline

with DAG(
    dag_id="annual_health_check",
    description="一年一体检: ingest, validate, build the marts and the city health index, publish",
    schedule=CronDataIntervalTimetable("0 0 1 1 *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2020, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=dag_parts.default_args(),
    tags=["annual", "health-check", "一年一体检"],
    doc_md=__doc__,
) as dag:

    @task
    def check_period(data_interval_start=None, dag_run=None) -> str:
        """The check year this run covers (from its data interval, not the clock)."""
        return pipeline.run_period("annual", data_interval_start, dag_run)

    period = check_period()
    validated = dag_parts.source_groups("annual", period)
    built = dag_parts.dbt_steps(period)
    validated >> built
    released = dag_parts.publish(period, dag_parts.ANNUAL_RELEASE)
    built >> released
    dag_parts.write_reports("annual", period, released)
    validated >> dag_parts.all_batches_valid()
