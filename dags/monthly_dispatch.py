"""每月调度 – the monthly dispatch.

One run per month (data interval = the month, China time): pull the departments'
monthly monitoring feeds and the task and project registers of the month, validate
them, rebuild the marts they feed (all of them when the warehouse was not last built
whole for the same year) and publish the month's release (Asset
``cityhealth_monthly_release``), then write the 月度调度 report (task and project
progress, overdue items by department) from that release. Feeds retry with
backoff; a bad register fails its own task and the rest goes on.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task
from airflow.timetables.interval import CronDataIntervalTimetable

from cityhealth.core.periods import TIMEZONE
from cityhealth.orchestration import dag_parts, pipeline

with DAG(
    dag_id="monthly_dispatch",
    description="每月调度: monthly feeds and task/project registers, marts, release",
    schedule=CronDataIntervalTimetable("0 6 1 * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2025, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=dag_parts.default_args(),
    tags=["monthly", "supervision", "每月调度"],
    doc_md=__doc__,
) as dag:

    @task
    def dispatch_period(data_interval_start=None, dag_run=None) -> str:
        """The month this run covers, e.g. 2025-07."""
        return pipeline.run_period("monthly", data_interval_start, dag_run)

    period = dispatch_period()
    validated = dag_parts.source_groups("monthly", period)
    built = dag_parts.dbt_steps(period, scope="supervision")
    validated >> built
    released = dag_parts.publish(period, dag_parts.MONTHLY_RELEASE)
    built >> released
    dag_parts.write_reports("monthly", period, released)
    validated >> dag_parts.all_batches_valid()
