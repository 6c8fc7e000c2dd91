"""Where a DAG run's time went: task time by part, as the demo prints it per run."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cityhealth.demo.runner import _report
from cityhealth.orchestration.airflow_env import DagRunResult, PlannedRun

SECONDS = {"check_period": 0.1, "survey.ingest": 2.0, "survey.validate": 1.5,
           "dept_edu.ingest": 0.5, "dbt.reference": 0.7, "dbt.models": 20.3,
           "publish_release": 2.4, "announce_release": 0.1, "write_reports": 24.6,
           "all_batches_valid": 0.2}


def result(seconds: dict[str, float]) -> DagRunResult:
    return DagRunResult("annual_health_check", "manual__2026", "success",
                        dict.fromkeys(seconds, "success"), Path("airflow.log"), seconds)


def test_task_time_is_split_into_its_parts_and_adds_up() -> None:
    parts = result(SECONDS).task_time()
    assert parts == pytest.approx({"ingest and validation": 4.0, "dbt": 21.0, "publish": 2.5,
                                   "reports": 24.6, "other": 0.3, "total": 52.4})
    assert list(parts) == ["ingest and validation", "dbt", "publish", "reports", "other",
                           "total"]


def test_the_demo_prints_each_runs_task_time_by_part() -> None:
    console = io.StringIO()
    _report(PlannedRun("annual_health_check", "2026-01-01T00:00:00+08:00",
                       label="一年一体检 2025"), result(SECONDS), 60.0, console)
    lines = console.getvalue().splitlines()
    assert "一年一体检 2025" in lines[0] and "10/10 tasks" in lines[0]
    assert lines[1].split() == ["task", "time", "52", "s:", "ingest", "and", "validation",
                                "4,", "dbt", "21,", "publish", "2,", "reports", "25,",
                                "other", "0"]
