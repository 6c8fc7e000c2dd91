"""The dbt steps Airflow runs, and the unit tests, hold for any check year.

* every unit test whose model reads a run var (check_year, the plan period) fixes it
  in its overrides, so a build for 2021 runs the same unit tests as one for 2025;
* the unit tests pass for a check year other than the demo's last (2022);
* the steps of ``cityhealth.orchestration.pipeline.DBT_STEPS`` (YAML selectors, indirect
  selection "buildable") run every data test of the project, each in exactly one step,
  and no unit test, and build every model once: the reference views first.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cityhealth.core.settings import DBT_PROJECT_DIR, REFERENCE_MODELS
from cityhealth.orchestration.pipeline import DBT_STEPS, dbt_step_args

RUN_VARS = ("check_year", "plan_start", "plan_end")


def _unit_tests() -> list[tuple[Path, dict]]:
    found = []
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(
                "unit_tests") or []:
            found.append((path, test))
    return found


def _vars_read_by(model: str) -> set[str]:
    sql = next((DBT_PROJECT_DIR / "models").rglob(f"{model}.sql")).read_text(encoding="utf-8")
    used = {name for name in RUN_VARS if f"var('{name}')" in sql}
    if "check_year()" in sql:  # the macro of the run var (macros/assessment.sql)
        used.add("check_year")
    if re.search(r"plan_(start|end|baseline_year)\(\)", sql):
        used |= set(RUN_VARS)
    return used


def test_every_unit_test_fixes_the_run_vars_its_model_reads() -> None:
    tests = _unit_tests()
    assert tests, "no unit tests found"
    missing = []
    for path, test in tests:
        fixed = set((test.get("overrides") or {}).get("vars") or {})
        lacking = _vars_read_by(test["model"]) - fixed
        if lacking:
            missing.append(f"{path.name}: {test['name']} lacks overrides.vars {sorted(lacking)}")
    assert not missing, "\n".join(missing)


def test_the_unit_tests_pass_for_another_check_year(demo_platform) -> None:
    from cityhealth.core.periods import Period
    from cityhealth.warehouse.dbt import run_dbt

    with demo_platform.active():
        run_dbt(["test", "--select", "test_type:unit"], warehouse_path=demo_platform.warehouse,
                vars=Period.annual(2022).dbt_vars())


def _ls(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        resource_types: tuple[str, ...] = ("test",)) -> list[str]:
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("CITYHEALTH_WAREHOUSE", str(tmp_path / "ls.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    result = dbtRunner().invoke(["ls", "--project-dir", str(DBT_PROJECT_DIR),
                                 "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet",
                                 *[arg for kind in resource_types
                                   for arg in ("--resource-type", kind)],
                                 "--output", "name", *args])
    assert result.success, result.exception
    return sorted(result.result)


def test_the_steps_run_every_data_test_once_and_no_unit_test(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = _ls([], tmp_path, monkeypatch)
    by_step = {}
    for step in DBT_STEPS:
        args = dbt_step_args(step)[1:]  # without the command
        by_step[step] = _ls(args, tmp_path, monkeypatch, ("test", "unit_test"))
        unit = _ls(args, tmp_path, monkeypatch, ("unit_test",))
        assert unit == [], (step, unit)
    ran = [name for names in by_step.values() for name in names]
    assert sorted(set(ran)) == everything, sorted(set(everything) - set(ran))
    twice = sorted({name for name in ran if ran.count(name) > 1})
    assert not twice, twice


def test_the_steps_build_every_model_once_the_reference_views_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference step builds the views of REFERENCE_MODELS (what its record's
    fingerprint reads, cityhealth.warehouse.dbt_state) and the models step every other
    model."""
    built = {step: _ls(dbt_step_args(step)[1:], tmp_path, monkeypatch, ("model",))
             for step in DBT_STEPS}
    views = sorted(p.stem for p in (DBT_PROJECT_DIR / REFERENCE_MODELS).glob("*.sql"))
    assert views and built["reference"] == views
    assert sorted(built["reference"] + built["models"]) == _ls([], tmp_path, monkeypatch,
                                                               ("model",))


def test_the_supervision_scope_rebuilds_what_the_feeds_and_registers_feed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Monthly and quarterly runs (scope "supervision"): the steps together build exactly
    the models downstream of the feeds' and registers' raw tables, the bulletins' marts
    and published views among them, and none of the annual index."""
    from cityhealth.orchestration.pipeline import SUPERVISION_SOURCES

    args = dbt_step_args("models", "supervision")
    built = _ls(args[1:], tmp_path, monkeypatch, ("model",))
    downstream = _ls(["--select", *SUPERVISION_SOURCES], tmp_path, monkeypatch, ("model",))
    assert sorted(built) == downstream
    assert {"fct_quarterly_bulletin", "pub_quarterly_bulletin", "pub_task_progress_monthly",
            "pub_project_progress_monthly", "pub_problem_list"} <= set(built)
    assert not {"fct_health_index", "pub_health_index", "int_survey__respondent_scores",
                "fct_indicator_value"} & set(built)
