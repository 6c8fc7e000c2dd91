"""Which period a DAG run covers and which plan period it belongs to (pipeline.py).

Fast: the functions get the small objects Airflow hands them (a DAG run with its conf
and run date, asset events with their ``extra``), no Airflow run.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pendulum
import pytest

from cityhealth.core.periods import PeriodError
from cityhealth.orchestration.pipeline import (
    StepFailed,
    dbt_vars,
    is_plan_end,
    plan_period,
    run_period,
    triggered_period,
)


def event(period: str | None) -> SimpleNamespace:
    """An asset event as Airflow passes it: the release's period in ``extra``."""
    return SimpleNamespace(extra={"period": period} if period else {})


def dag_run(**conf) -> SimpleNamespace:
    return SimpleNamespace(conf=conf, run_after=None, queued_at=None)


def test_an_asset_triggered_run_follows_the_triggering_release() -> None:
    events = {"cityhealth_annual_release": [event("2024")]}
    assert triggered_period(events, dag_run(check_year=2021)) == "2024"


def test_the_first_event_that_names_a_period_decides() -> None:
    events = {"cityhealth_annual_release": [event(None), event("2023"), event("2025")]}
    assert triggered_period(events, dag_run()) == "2023"


def test_a_manual_run_of_an_asset_dag_names_its_check_year_in_conf() -> None:
    assert triggered_period({}, dag_run(check_year=2022)) == "2022"
    assert triggered_period(None, dag_run(check_year="2025")) == "2025"


def test_a_bad_period_in_an_event_or_the_conf_is_refused() -> None:
    with pytest.raises(PeriodError, match="'20x5' is not a period"):
        triggered_period({"cityhealth_annual_release": [event("20x5")]}, dag_run())
    with pytest.raises(PeriodError, match="'last year' is not a period"):
        triggered_period({}, dag_run(check_year="last year"))


def test_without_event_or_conf_an_asset_run_follows_the_newest_annual_release(
        cityhealth_home: Path) -> None:
    with pytest.raises(StepFailed, match="no annual release yet"):
        triggered_period({}, dag_run())
    releases = cityhealth_home / "releases"
    (releases / "2024" / "2024-abc").mkdir(parents=True)
    for link in ("latest", "latest-annual"):  # as a publish leaves them
        os.symlink("2024/2024-abc", releases / link)
    assert triggered_period({}, dag_run()) == "2024"


@pytest.mark.parametrize(("period", "closes"), [
    ("2020", False),  # the baseline year of 2021–2025
    ("2021", False),
    ("2024", False),
    ("2025", True),
    ("2026", False),
    ("2030", True),
    ("2025-12", True),  # any period of the closing year
    ("appraisal-2025", True),
])
def test_only_the_last_year_of_a_plan_period_closes_it(period: str, closes: bool) -> None:
    assert is_plan_end(period) is closes


@pytest.mark.parametrize(("period", "plan"), [
    ("2020", "plan-2021-2025"),
    ("2023", "plan-2021-2025"),
    ("2025", "plan-2021-2025"),
    ("2027", "plan-2026-2030"),
])
def test_the_assessment_after_a_check_year_assesses_its_plan_period(period, plan) -> None:
    assert plan_period(period).label == plan


def test_a_check_year_outside_every_plan_period_is_refused_not_guessed() -> None:
    with pytest.raises(PeriodError, match="no plan period .* covers 2019"):
        is_plan_end("2019")


def test_dbt_builds_a_period_with_the_years_of_its_plan_period() -> None:
    assert dbt_vars("2024") == {"check_year": 2024, "plan_start": 2021, "plan_end": 2025}
    assert dbt_vars("2026-03") == {"check_year": 2026, "plan_start": 2026, "plan_end": 2030}
    assert dbt_vars("plan-2021-2025") == {"check_year": 2025, "plan_start": 2021,
                                          "plan_end": 2025}


def test_a_run_without_data_interval_or_run_date_is_refused() -> None:
    with pytest.raises(StepFailed, match="cannot tell which annual period"):
        run_period("annual", None, dag_run())


def test_a_manual_run_falls_back_to_when_it_was_queued() -> None:
    queued = SimpleNamespace(conf={}, run_after=None,
                             queued_at=pendulum.datetime(2026, 2, 3, tz="UTC"))
    assert run_period("monthly", None, queued) == "2026-01"
