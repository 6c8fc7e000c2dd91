"""Every DAG imports, has an owner and tags, and runs on the schedule the plan fixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityhealth.orchestration.airflow_env import DAGS_FOLDER


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS_FOLDER))


EXPECTED = {
    "annual_health_check": "0 0 1 1 *",
    "monthly_dispatch": "0 6 1 * *",
    "quarterly_bulletin": "0 6 1 1,4,7,10 *",
    "five_year_assessment": "asset",
    "annual_appraisal": "asset",
}


def test_all_dags_import_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == set(EXPECTED)


@pytest.mark.parametrize(("dag_id", "schedule"), list(EXPECTED.items()))
def test_schedules_are_those_of_the_plan_in_china_time(dagbag, dag_id: str,
                                                         schedule: str) -> None:
    dag = dagbag.dags[dag_id]
    if schedule == "asset":  # follows the annual release, not the clock
        assert type(dag.timetable).__name__ == "AssetTriggeredTimetable"
        assert "cityhealth_annual_release" in repr(dag.timetable.asset_condition)
    else:
        assert dag.timetable.summary == schedule
        assert str(dag.timetable._timezone.name) == "Asia/Shanghai"
    assert dag.catchup is False and dag.max_active_runs == 1


def test_no_cycles_and_writers_share_one_slot(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert not dag.has_task("") and dag.roots, f"{dag_id} has no root (a cycle?)"
        for task in dag.tasks:
            if task.task_id.endswith((".ingest", ".validate")) or task.task_id.startswith("dbt."):
                assert task.pool == "warehouse_writer", f"{dag_id}.{task.task_id}"


def test_feeds_retry_with_backoff_files_and_validation_do_not(dagbag) -> None:
    dag = dagbag.dags["monthly_dispatch"]
    feed = dag.get_task("feed_ee_monthly.ingest")
    assert feed.retries >= 2 and feed.retry_exponential_backoff
    assert dag.get_task("feed_ee_monthly.validate").retries == 0
    assert dag.get_task("task_register.ingest").retries == 0


def test_every_dag_has_owner_tags_and_description(dagbag) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.description, f"{dag_id} has no description"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id} has no owner"


def test_every_annual_source_has_its_own_ingest_and_validate_tasks(dagbag) -> None:
    from cityhealth.orchestration.pipeline import sources_with_cadence

    dag = dagbag.dags["annual_health_check"]
    ids = {t.task_id for t in dag.tasks}
    for source_id in sources_with_cadence("annual"):
        assert {f"{source_id}.ingest", f"{source_id}.validate"} <= ids
        ingest = dag.get_task(f"{source_id}.ingest")
        assert ingest.pool == "warehouse_writer"
        assert f"{source_id}.validate" in ingest.downstream_task_ids


def test_build_runs_even_when_a_source_failed_but_the_run_ends_failed(dagbag) -> None:
    dag = dagbag.dags["annual_health_check"]
    assert dag.get_task("dbt.reference").trigger_rule == "all_done"
    assert [t for t in dag.task_ids if t.startswith("dbt.")] == ["dbt.reference", "dbt.models"]
    assert "dbt.models" in dag.get_task("dbt.reference").downstream_task_ids
    leaf = dag.get_task("all_batches_valid")
    assert leaf.trigger_rule == "all_success"
    assert not leaf.downstream_task_ids
    validates = {t for t in leaf.upstream_task_ids if t.endswith(".validate")}
    assert len(validates) == len([t for t in dag.task_ids if t.endswith(".validate")])


def test_dag_files_are_thin() -> None:
    """Logic lives in importable modules; a DAG file only wires tasks."""
    for path in Path(DAGS_FOLDER).glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "duckdb" not in text and "import pandas" not in text, path.name


def test_a_release_is_announced_only_when_it_is_new(dagbag) -> None:
    """A rerun on unchanged data publishes the same release: its Asset event is skipped,
    so the five-year assessment and the appraisal do not run again for nothing."""
    from airflow.sdk.exceptions import AirflowSkipException

    announce = dagbag.dags["annual_health_check"].get_task("announce_release")
    assert [outlet.name for outlet in announce.outlets] == ["cityhealth_annual_release"]
    with pytest.raises(AirflowSkipException, match="already published"):
        announce.python_callable("2025", {"folder": "releases/2025/x", "is_new": False},
                                 outlet_events={})

    class Event:
        extra: dict = {}

    events = {announce.outlets[0]: Event()}
    announce.python_callable("2025", {"folder": "releases/2025/y", "is_new": True},
                             outlet_events=events)
    assert events[announce.outlets[0]].extra == {"period": "2025",
                                                 "release": "releases/2025/y"}


def test_every_task_has_the_time_limit_of_the_settings(dagbag) -> None:
    """A task that hangs fails at the limit and frees the writer slot (never runs forever)."""
    from datetime import timedelta

    from cityhealth.core.settings import settings

    limit = timedelta(seconds=settings().task_timeout)
    assert limit > timedelta(0)
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            assert task.execution_timeout == limit, f"{dag_id}.{task.task_id}"


def test_object_registers_load_parents_first_and_findings_after_them(dagbag) -> None:
    """A building's compound, a finding's object must be delivered before it is checked."""
    dag = dagbag.dags["annual_health_check"]
    order = ["objects_district", "objects_block", "objects_compound", "objects_housing"]
    for earlier, later in zip(order, order[1:], strict=False):
        assert f"{later}.ingest" in dag.get_task(f"{earlier}.validate").downstream_task_ids
        assert dag.get_task(f"{later}.ingest").trigger_rule == "all_done"
    findings = dag.get_task("object_findings.ingest")
    assert {f"{s}.validate" for s in order} <= findings.upstream_task_ids
    monthly = dagbag.dags["monthly_dispatch"]
    assert "object_treatment.ingest" in {t.task_id for t in monthly.tasks}
