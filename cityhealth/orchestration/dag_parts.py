"""The pieces every DAG is wired from, so that DAG files stay a page of wiring.

* ``source_groups``: one task group per source of a cadence (``<source>.ingest`` →
  ``<source>.validate``), writing through the one-slot pool;
* ``dbt_steps``: dbt in two tasks, ``dbt.reference`` (the seeds and their staging
  views) then ``dbt.models`` (every other model, staging to published, with its data
  tests in one invocation), leaving out what would come out the same (unchanged
  reference data; everything, when the warehouse was last built with
  the same vars from the same deliveries; in monthly and quarterly runs, what their
  sources do not feed); a failing model or test fails its task and the task log names
  it and its error (one in-process dbt per step instead of one dbt process per model:
  DuckDB has one writer, so per-model processes could only queue, each paying dbt's
  start-up);
* ``write_reports``: the period's reports, read from the release the run published;
* the Assets that let downstream DAGs follow fresh releases rather than the clock.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from airflow.sdk import Asset, TaskGroup, task

from cityhealth.orchestration import pipeline

if TYPE_CHECKING:
    from cityhealth.ingestion.registry import RetryPolicy

log = logging.getLogger(__name__)

WRITER_POOL = "warehouse_writer"  # one slot: DuckDB has one writer at a time
OWNER = "city-health-data"

ANNUAL_RELEASE = Asset("cityhealth_annual_release", uri="cityhealth://releases/annual")
MONTHLY_RELEASE = Asset("cityhealth_monthly_release", uri="cityhealth://releases/monthly")
QUARTERLY_RELEASE = Asset("cityhealth_quarterly_release", uri="cityhealth://releases/quarterly")
FIVE_YEAR_RELEASE = Asset("cityhealth_five_year_release", uri="cityhealth://releases/five-year")
APPRAISAL_RELEASE = Asset("cityhealth_appraisal_release", uri="cityhealth://releases/appraisal")


def default_args() -> dict:
    """Every task: no retries unless its source says so, the failure notification, and
    a time limit (``CITYHEALTH_TASK_TIMEOUT_SECONDS``; 0: none), so that a task that hangs
    fails and frees the writer slot instead of holding it indefinitely."""
    from cityhealth.core.settings import settings
    from cityhealth.orchestration.notify import on_failure

    limit = settings().task_timeout
    return {"owner": OWNER, "retries": 0, "on_failure_callback": on_failure,
            "execution_timeout": timedelta(seconds=limit) if limit else None}


# The ingest and validate tasks log their counts and return nothing: nothing downstream
# reads them, and a task's returned dict is an XCom per key besides the whole, each a
# call to Airflow's API (about 20 ms of a 0.2 s task).
@task(pool=WRITER_POOL)
def ingest(source_id: str, period: str) -> None:
    log.info("%s %s: %s", source_id, period, pipeline.ingest(source_id, period))


@task(pool=WRITER_POOL)
def validate(source_id: str, period: str) -> None:
    log.info("%s %s: %s", source_id, period, pipeline.validate(source_id, period))


def retry_args(policy: RetryPolicy) -> dict:
    """Airflow task arguments of a source's retry policy (sources.yaml ``task_retries``)."""
    if not policy.retries:
        return {}
    return {"retries": policy.retries, "retry_delay": timedelta(seconds=policy.delay_seconds),
            "retry_exponential_backoff": policy.exponential_backoff}


def source_groups(cadence: str, period, *, kinds: tuple[str, ...] | None = None) -> list:
    """Ingest → validate per source of a cadence; returns the validate tasks.

    A bad delivery fails its source's ingest task (so the UI shows a failed task for it,
    and the validate task after it does not run), but only once every other delivery of
    the source was loaded and validated: the good ones beside a bad one are promoted in
    the same run (``pipeline.ingest``).

    A source with ``after`` (sources.yaml) is ingested once those sources are validated.
    An ingest task retries as its source's transport says (sources.yaml: pulled HTTP
    feeds with backoff, since a retry can help; dropped files not, since the same bad
    file fails the same way); validation never retries.
    """
    from cityhealth.ingestion.registry import sources

    validated = {}
    for spec in sources().values():
        if spec.cadence != cadence or (kinds and spec.kind not in kinds):
            continue
        retry = retry_args(spec.retry)
        earlier = [validated[s] for s in spec.after if s in validated]
        with TaskGroup(group_id=spec.source_id, tooltip=spec.name_zh):
            # after the sources its rows refer to, whether they passed or not: what refers
            # to a quarantined delivery is then quarantined with its own clear error
            loaded = ingest.override(task_id="ingest", **retry,
                                     **({"trigger_rule": "all_done"} if earlier else {}))(
                spec.source_id, period)
            checked = validate.override(task_id="validate")(spec.source_id, period)
            earlier >> loaded
            loaded >> checked
            validated[spec.source_id] = checked
    return list(validated.values())


@task(pool=WRITER_POOL)
def dbt_build(step: str, period: str, scope: str = "all") -> str:
    """What was built: "reference built", "reference unchanged", "unchanged", "whole"
    or "supervision" (``pipeline.build_step``)."""
    return pipeline.build_step(step, period, scope)


def dbt_steps(period, *, trigger_rule: str = "all_done", scope: str = "all"):
    """The dbt steps in order (``pipeline.DBT_STEPS``) inside a task group ``dbt``;
    returns the group.

    ``scope="supervision"`` (monthly and quarterly runs): the models step rebuilds only
    the models its feeds and registers feed while the rest is current
    (``pipeline.build_step``)."""
    with TaskGroup(group_id="dbt", tooltip="dbt build: the reference data when it changed, "
                   "then every other model and its data tests") as group:
        previous = None
        for step in pipeline.DBT_STEPS:
            kwargs = {"task_id": step}
            if previous is None:
                kwargs["trigger_rule"] = trigger_rule
            current = dbt_build.override(**kwargs)(step, period, scope)
            if previous is not None:
                previous >> current
            previous = current
    return group


@task
def all_batches_valid() -> None:
    """Fails (upstream_failed) when any source's ingest or validation failed."""


def publish(period, asset: Asset):
    """Publish the release of the period; announce it on an Asset only when it is new.

    ``publish_release`` returns the release folder (what the reports read);
    ``announce_release`` carries the Asset (extra: period, release) and skips itself
    when the same data had already been published, so a rerun on unchanged data does
    not start the asset-triggered DAGs again. Returns the release (folder, is_new).
    """

    # one XCom, the whole dict, which both tasks after it read (a dict's annotation would
    # also push each key on its own)
    @task(task_id="publish_release", pool=WRITER_POOL, multiple_outputs=False)
    def publish_release(period: str, run_id: str | None = None) -> dict:
        return pipeline.publish_release(period, run_id or "manual")

    @task(task_id="announce_release", outlets=[asset])
    def announce_release(period: str, release: dict, outlet_events=None) -> None:
        if not release["is_new"]:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException(
                f"{period}: the same data are already published as {release['folder']}; "
                "nothing new to announce")
        outlet_events[asset].extra = {"period": period, "release": release["folder"]}

    release = publish_release(period)
    announce_release(period, release)
    return release


REPORT_DOCS = {
    "annual": "城市体检报告: one self-contained HTML report per city and a workbook",
    "monthly": "月度调度: task and project progress, overdue items by department",
    "quarterly": "季度通报: cities ranked, leaders and laggards named",
    "five_year": "五年评估报告: trajectories and end-of-period attainment",
}


def write_reports(kind: str, period, release):
    """The period's reports of one kind, from the release this run published."""

    @task(task_id="write_reports", doc_md=REPORT_DOCS[kind])
    def write(period: str, release: dict) -> list[str]:
        return pipeline.write_reports(kind, period, release["folder"])

    return write(period, release)
