"""每季度通报 – the quarterly bulletin.

One run per quarter (data interval = the quarter, China time): pull the departments'
quarterly monitoring feeds, validate them, rebuild the marts they feed (all of them
when the warehouse was not last built whole for the same year; the bulletin ranks the
cities on the quarter's monitoring indicators and on task and project progress) and
publish the quarter's release (Asset ``cityhealth_quarterly_release``), then write
the 季度通报 (leaders and laggards named) from that release.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task
from airflow.timetables.interval import CronDataIntervalTimetable

from cityhealth.core.periods import TIMEZONE
from cityhealth.orchestration import dag_parts, pipeline

with DAG(
    dag_id="quarterly_bulletin",
    description="每季度通报: quarterly feeds, marts and the bulletin's release",
    schedule=CronDataIntervalTimetable("0 6 1 1,4,7,10 *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2025, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=dag_parts.default_args(),
    tags=["quarterly", "supervision", "每季度通报"],
    doc_md=__doc__,
) as dag:

    @task
    def bulletin_period(data_interval_start=None, dag_run=None) -> str:
        """The quarter this run covers, e.g. 2025-Q3."""
        return pipeline.run_period("quarterly", data_interval_start, dag_run)

    period = bulletin_period()
    validated = dag_parts.source_groups("quarterly", period)
    built = dag_parts.dbt_steps(period, scope="supervision")
    validated >> built
    released = dag_parts.publish(period, dag_parts.QUARTERLY_RELEASE)
    built >> released
    dag_parts.write_reports("quarterly", period, released)
    validated >> dag_parts.all_batches_valid()
