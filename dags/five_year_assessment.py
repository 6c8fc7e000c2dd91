"""五年一评估 – the five-year assessment.

Data-aware: it follows the annual release (Asset ``cityhealth_annual_release``)
rather than the clock, and goes on only when that check year closes its plan period
(``dbt_project/seeds/ref_plan_periods.csv``, e.g. 2021–2025); other years end skipped. It
rebuilds the marts (start and end values, annual change, attainment of the
end-of-period standards, index trajectories), publishes the assessment's release
under ``plan-<start>-<end>`` and writes the 五年评估报告 from it.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from cityhealth.core.periods import TIMEZONE
from cityhealth.orchestration import dag_parts, pipeline

with DAG(
    dag_id="five_year_assessment",
    description="五年一评估: follows the annual release; assesses the plan period at its end",
    schedule=[dag_parts.ANNUAL_RELEASE],
    start_date=pendulum.datetime(2020, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=dag_parts.default_args(),
    tags=["five-year", "assessment", "五年一评估"],
    doc_md=__doc__,
) as dag:

    @task
    def check_year(triggering_asset_events=None, dag_run=None) -> str:
        """The check year of the release that triggered the run (or conf check_year)."""
        return pipeline.triggered_period(triggering_asset_events, dag_run)

    @task.short_circuit
    def closes_plan_period(period: str) -> bool:
        return pipeline.is_plan_end(period)

    @task
    def plan_period_label(period: str) -> str:
        return pipeline.plan_period(period).label

    year = check_year()
    gate = closes_plan_period(year)
    label = plan_period_label(year)
    built = dag_parts.dbt_steps(label, trigger_rule="all_success")
    gate >> label >> built
    released = dag_parts.publish(label, dag_parts.FIVE_YEAR_RELEASE)
    built >> released
    dag_parts.write_reports("five_year", label, released)
