"""The period type: one parse for every label, every kind, any year."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pendulum
import pytest

from cityhealth.core.periods import Period, PeriodError
from cityhealth.orchestration.airflow_env import logical_date_for
from cityhealth.orchestration.pipeline import StepFailed, run_period

SHANGHAI = pendulum.timezone("Asia/Shanghai")


@pytest.mark.parametrize(("label", "kind", "check_year", "zh"), [
    ("2022", "annual", 2022, "2022年"),
    ("2025", "annual", 2025, "2025年"),
    ("2024-12", "monthly", 2024, "2024年12月"),
    ("2025-07", "monthly", 2025, "2025年7月"),
    ("2023-Q1", "quarterly", 2023, "2023年第一季度"),
    ("2025-Q3", "quarterly", 2025, "2025年第三季度"),
    ("plan-2016-2020", "five_year", 2020, "2016—2020年"),
    ("plan-2021-2025", "five_year", 2025, "2021—2025年"),
    ("appraisal-2024", "appraisal", 2024, "2024年度考核"),
])
def test_a_label_parses_once_and_prints_back(label, kind, check_year, zh) -> None:
    period = Period.parse(label)
    assert (period.kind, period.check_year, period.label, period.label_zh) == \
        (kind, check_year, label, zh)
    assert Period.parse(period) is period


@pytest.mark.parametrize("label", ["25", "2025-13", "2025-Q5", "plan-2025-2021", "2025/07",
                                   "appraisal-25", ""])
def test_a_label_that_is_no_period_is_refused_by_name(label) -> None:
    with pytest.raises(PeriodError, match="period"):
        Period.parse(label)


def test_dbt_receives_the_check_year_and_the_plan_years() -> None:
    assert Period.parse("2023").dbt_vars((2021, 2025)) == \
        {"check_year": 2023, "plan_start": 2021, "plan_end": 2025}
    assert Period.parse("2025-07").dbt_vars((2021, 2025))["check_year"] == 2025
    # a five-year assessment runs on its own plan period, whatever the profile says
    assert Period.parse("plan-2016-2020").dbt_vars((2021, 2025)) == \
        {"check_year": 2020, "plan_start": 2016, "plan_end": 2020}


def test_periods_of_one_kind_order_by_time() -> None:
    labels = ["2025", "2021", "2023"]
    assert max(Period.parse(x) for x in labels).label == "2025"
    months = sorted(Period.parse(x) for x in ["2025-10", "2025-02", "2024-12"])
    assert [m.label for m in months] == ["2024-12", "2025-02", "2025-10"]


@pytest.mark.parametrize(("kind", "start", "label"), [
    ("annual", datetime(2022, 1, 1, tzinfo=SHANGHAI), "2022"),
    # 2024-12-31 16:00 UTC is already 2025 in China
    ("annual", pendulum.datetime(2024, 12, 31, 16, tz="UTC"), "2025"),
    ("monthly", datetime(2025, 7, 1, 6, tzinfo=SHANGHAI), "2025-07"),
    ("quarterly", datetime(2025, 7, 1, 6, tzinfo=SHANGHAI), "2025-Q3"),
    ("quarterly", datetime(2024, 1, 1, 6, tzinfo=SHANGHAI), "2024-Q1"),
])
def test_a_scheduled_run_covers_its_data_interval(kind, start, label) -> None:
    assert run_period(kind, start) == label


@pytest.mark.parametrize(("kind", "run_after", "label"), [
    ("annual", pendulum.datetime(2026, 3, 10, tz="UTC"), "2025"),
    ("annual", pendulum.datetime(2023, 1, 5, tz="UTC"), "2022"),
    ("monthly", pendulum.datetime(2026, 3, 10, tz="UTC"), "2026-02"),
    ("monthly", pendulum.datetime(2026, 1, 10, tz="UTC"), "2025-12"),
    ("quarterly", pendulum.datetime(2026, 3, 10, tz="UTC"), "2025-Q4"),
    ("quarterly", pendulum.datetime(2025, 8, 10, tz="UTC"), "2025-Q2"),
])
def test_a_manual_run_without_logical_date_covers_the_last_whole_period(
        kind, run_after, label) -> None:
    dag_run = SimpleNamespace(conf={}, run_after=run_after)
    assert run_period(kind, None, dag_run) == label


def test_a_manual_run_may_name_its_period_in_conf() -> None:
    dag_run = SimpleNamespace(conf={"period": "2022"}, run_after=None)
    assert run_period("annual", None, dag_run) == "2022"
    with pytest.raises(StepFailed, match="not a monthly period"):
        run_period("monthly", None, dag_run)


@pytest.mark.parametrize("label", ["2021", "2025", "2025-01", "2025-09", "2025-12",
                                   "2024-Q4", "2025-Q3"])
def test_the_logical_date_of_a_manual_run_gives_back_its_period(label) -> None:
    """Airflow gives a manual run the last whole interval before its logical date."""
    from airflow.timetables.interval import CronDataIntervalTimetable

    period = Period.parse(label)
    cron = {"annual": "0 0 1 1 *", "monthly": "0 6 1 * *",
            "quarterly": "0 6 1 1,4,7,10 *"}[period.kind]
    timetable = CronDataIntervalTimetable(cron, timezone="Asia/Shanghai")
    interval = timetable.infer_manual_data_interval(
        run_after=pendulum.parse(logical_date_for(period)))
    assert run_period(period.kind, interval.start) == label
