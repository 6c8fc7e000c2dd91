"""The period type: one parse for every label, every kind, any year."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pendulum
import pytest

from cityhealth.core import reference
from cityhealth.core.periods import Period, PeriodError
from cityhealth.core.reference import plan_periods
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


def test_dbt_receives_the_check_year_and_the_plan_years_of_the_seed() -> None:
    assert Period.parse("2023").dbt_vars() == \
        {"check_year": 2023, "plan_start": 2021, "plan_end": 2025}
    assert Period.parse("2025-07").dbt_vars() == \
        {"check_year": 2025, "plan_start": 2021, "plan_end": 2025}
    assert Period.parse("2026-Q1").dbt_vars() == \
        {"check_year": 2026, "plan_start": 2026, "plan_end": 2030}
    # the baseline year is built for the plan period it is the baseline of
    assert Period.parse("2020").dbt_vars() == \
        {"check_year": 2020, "plan_start": 2021, "plan_end": 2025}
    assert Period.parse("2023").dbt_vars(Period.plan(2016, 2020)) == \
        {"check_year": 2023, "plan_start": 2016, "plan_end": 2020}
    # a five-year assessment runs on its own plan period, whatever the seed says
    assert Period.parse("plan-2016-2020").dbt_vars() == \
        {"check_year": 2020, "plan_start": 2016, "plan_end": 2020}


@pytest.mark.parametrize(("year", "label"), [
    (2020, "plan-2021-2025"),  # the baseline year of the 14th five-year plan
    (2021, "plan-2021-2025"),
    (2025, "plan-2021-2025"),
    (2026, "plan-2026-2030"),
    (2030, "plan-2026-2030"),
])
def test_the_plan_period_of_a_check_year_comes_from_the_seed(year, label) -> None:
    assert Period.plan_of(year).label == label


@pytest.mark.parametrize("year", [2019, 2031])
def test_a_year_no_plan_period_covers_is_refused_naming_the_seed(year) -> None:
    with pytest.raises(PeriodError, match=rf"ref_plan_periods.csv covers {year} "
                                          r"\(known: 十四五 2021–2025, 十五五 2026–2030\)"):
        Period.plan_of(year)
    with pytest.raises(PeriodError, match="ref_plan_periods"):
        Period.annual(year).dbt_vars()


def test_the_seed_names_each_plan_period_and_its_source() -> None:
    periods = plan_periods()
    assert [(p.plan_code, p.name_zh, p.start_year, p.end_year) for p in periods] == [
        ("FYP14", "十四五", 2021, 2025), ("FYP15", "十五五", 2026, 2030)]
    assert all("五年规划" in p.source for p in periods)


@pytest.mark.parametrize(("rows", "message"), [
    ([("A", 2021, 2025), ("B", 2025, 2030)], "A .2021–2025. and B .2025–2030. overlap"),
    ([("A", 2025, 2021)], "line 2: A ends .2021. before it starts .2025."),
    ([("A", "2021", "二〇二五")], "line 2: start_year and end_year must be years"),
])
def test_plan_periods_that_overlap_or_run_backwards_are_refused(
        monkeypatch: pytest.MonkeyPatch, rows, message) -> None:
    table = tuple({"plan_code": code, "name_zh": code, "start_year": str(start),
                   "end_year": str(end), "source": "test"} for code, start, end in rows)
    monkeypatch.setattr(reference, "seed_rows", lambda name: table)
    with pytest.raises(ValueError, match=message):
        reference.plan_periods.__wrapped__()


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
