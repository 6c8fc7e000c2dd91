"""releases/latest and releases/latest-<kind>: each follows its kind, only forward in period."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cityhealth.core.periods import KINDS, PeriodError
from cityhealth.warehouse.release import Release, latest_release_db, open_latest, publish
from tests.warehouse.test_release import fill


def pointed(home: Path, name: str) -> Path:
    link = home / "releases" / name
    assert link.is_symlink() and not os.path.isabs(os.readlink(link)), link
    return link.resolve()


def rows_of_latest(kind: str = "annual") -> int:
    con = open_latest(kind)
    try:
        return con.execute("select n from pub_count").fetchone()[0]
    finally:
        con.close()


def publish_rows(period: str, rows: int) -> Release:
    fill(rows)
    return publish(period, run_id=f"{period}-{rows}")


def test_latest_is_the_newest_check_year_and_never_a_month(cityhealth_home: Path) -> None:
    year_2025 = publish_rows("2025", 10)
    assert pointed(cityhealth_home, "latest") == year_2025.path
    assert pointed(cityhealth_home, "latest-annual") == year_2025.path

    year_2022 = publish_rows("2022", 20)  # a late correction of an older check year
    assert year_2022.is_new
    assert pointed(cityhealth_home, "latest") == year_2025.path
    assert pointed(cityhealth_home, "latest-annual") == year_2025.path

    july = publish_rows("2025-07", 30)
    assert pointed(cityhealth_home, "latest") == year_2025.path
    assert pointed(cityhealth_home, "latest-monthly") == july.path
    assert rows_of_latest() == 10
    assert rows_of_latest("monthly") == 30
    assert latest_release_db() == cityhealth_home / "releases" / "latest" / "published.duckdb"
    assert latest_release_db(kind="monthly") == (
        cityhealth_home / "releases" / "latest-monthly" / "published.duckdb")

    publish_rows("2025-06", 40)  # an older month
    assert pointed(cityhealth_home, "latest-monthly") == july.path

    republished = publish_rows("2025", 50)  # the same check year with corrected data
    assert republished.is_new
    assert pointed(cityhealth_home, "latest") == republished.path
    assert pointed(cityhealth_home, "latest-annual") == republished.path
    assert rows_of_latest() == 50


def test_each_kind_has_its_own_latest(cityhealth_home: Path) -> None:
    year = publish_rows("2025", 10)
    quarter = publish_rows("2025-Q3", 20)
    plan = publish_rows("plan-2021-2025", 30)
    appraisal = publish_rows("appraisal-2025", 40)
    publish_rows("2025-Q2", 21)
    publish_rows("plan-2016-2020", 31)
    publish_rows("appraisal-2024", 41)
    assert pointed(cityhealth_home, "latest") == year.path
    assert pointed(cityhealth_home, "latest-quarterly") == quarter.path
    assert pointed(cityhealth_home, "latest-five_year") == plan.path
    assert pointed(cityhealth_home, "latest-appraisal") == appraisal.path
    assert [rows_of_latest(kind) for kind in KINDS if kind != "monthly"] == [10, 20, 30, 40]
    with pytest.raises(FileNotFoundError, match="no monthly release"):
        open_latest(kind="monthly")
    with pytest.raises(ValueError, match="unknown release kind"):
        latest_release_db(kind="weekly")


def test_latest_follows_the_warehouse_back_to_an_earlier_release_of_its_period(
        cityhealth_home: Path) -> None:
    first = publish_rows("2025", 10)
    publish_rows("2025", 20)
    back = publish_rows("2025", 10)  # the correction was withdrawn
    assert back.release_id == first.release_id and not back.is_new
    assert pointed(cityhealth_home, "latest") == first.path
    assert rows_of_latest() == 10


def test_a_label_that_is_not_a_period_publishes_nothing(cityhealth_home: Path) -> None:
    fill(10)
    with pytest.raises(PeriodError):
        publish("2025-13")
    assert not list((cityhealth_home / "releases").iterdir())


def test_an_asset_run_without_event_follows_the_newest_check_year(
        cityhealth_home: Path) -> None:
    """pipeline.latest_annual_period: the check year releases/latest-annual points at."""
    from cityhealth.orchestration.pipeline import StepFailed, latest_annual_period

    with pytest.raises(StepFailed, match="no annual release yet"):
        latest_annual_period()
    publish_rows("2025", 10)
    publish_rows("2022", 20)
    publish_rows("2025-07", 30)
    (cityhealth_home / "releases" / "2026").mkdir()  # a folder without a release
    assert latest_annual_period() == "2025"
