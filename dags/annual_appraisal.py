"""每年度考核 – the annual appraisal.

Data-aware: follows the annual release (Asset ``cityhealth_annual_release``). Builds
the appraisal marts – a score per city and county composed of the quality of its
check results, the delivery of its renewal projects and its residents' satisfaction,
each part visible – and publishes them under ``appraisal-<year>``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from cityhealth.core.periods import TIMEZONE
from cityhealth.orchestration import dag_parts, pipeline

with DAG(
    dag_id="annual_appraisal",
    description="每年度考核: follows the annual release; appraisal score per city and county",
    schedule=[dag_parts.ANNUAL_RELEASE],
    start_date=pendulum.datetime(2020, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=dag_parts.default_args(),
    tags=["annual", "appraisal", "每年度考核"],
    doc_md=__doc__,
) as dag:

    @task
    def check_year(triggering_asset_events=None, dag_run=None) -> str:
        """The check year of the release that triggered the run (or conf check_year)."""
        return pipeline.triggered_period(triggering_asset_events, dag_run)

    @task
    def appraisal_label(period: str) -> str:
        return pipeline.appraisal_period(period)

    label = appraisal_label(check_year())
    built = dag_parts.dbt_steps(label, trigger_rule="all_success")
    built >> dag_parts.publish(label, dag_parts.APPRAISAL_RELEASE)
