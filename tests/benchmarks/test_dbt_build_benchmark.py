"""The dbt build benchmark, end to end at twice the counties and a larger survey in the
check year, so that the script cannot rot."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from benchmarks import dbt_build
from cityhealth.core.reference import areas

FIGURES = ("rows_delivered", "ingest_seconds", "dbt_build_seconds", "ratio_dbt_ingest",
           "ingest_peak_rss_bytes", "dbt_peak_rss_bytes", "models", "tests",
           "generation_seconds", "warehouse_bytes", "survey_sheets",
          "survey_models_seconds", "survey_models_seconds_per_million_sheets")
LABELS = ("rows delivered", "ingest seconds", "dbt build seconds", "ratio dbt / ingest",
          "peak RSS", "models / tests", "slowest models:", "survey answer sheets",
          "survey models seconds", "DuckDB memory limit", "goal: dbt peak RSS <= 4 GiB")


def test_benchmark_builds_the_scaled_warehouse_and_prints_every_figure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real_counties = len(areas("county"))

    environment = dict(os.environ)
    # 24,000 respondents in the check year: 120 per county, twice the demo's 60
    result = dbt_build.main(["--scale", "2", "--years", "6", "--workdir", str(tmp_path),
                             "--survey-respondents", "24000", "--memory-limit", "1GB"])
    printed = capsys.readouterr().out

    for key in FIGURES:
        assert isinstance(result[key], int | float) and result[key] > 0, key
    assert set(result["statuses"]) <= {"pass", "success", "no-op"}, result["statuses"]
    # twice the counties, really in the warehouse, every one of them with values
    assert result["counties"] == result["generated_counties"] == 2 * real_counties
    assert result["reference_counties"] == 2 * real_counties
    assert result["staging_counties"] == 2 * real_counties
    assert result["warehouse_counties"] == 2 * real_counties
    assert result["warehouse_years"] == 6
    # the check year's survey is the larger export, and every sheet reached the warehouse
    assert result["survey_respondents"] == result["survey_sheets_check_year"] == 24000
    assert result["survey_sheets"] > 24000  # plus the demo's earlier years
    assert result["memory_limit"] == "1GB"
    # the limit was the build's alone: later tests see the settings' own defaults
    assert dict(os.environ) == environment
    assert result["dbt_peak_rss_goal_met"] is (result["dbt_peak_rss_bytes"] <= 4 * 1024 ** 3)
    assert len(result["slowest_models"]) == 5
    assert all(seconds > 0 for _, seconds in result["slowest_models"])
    for label in LABELS:
        assert label in printed, label
    for name, _ in result["slowest_models"]:
        assert name in printed
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8")) == \
        json.loads(json.dumps(result))
    assert not (tmp_path / "home").exists()  # removed unless --keep


def test_synthetic_counties_never_collide_with_real_codes(tmp_path: Path) -> None:
    made = dbt_build.prepare_project(tmp_path / "project", scale=10, years=60)

    with open(tmp_path / "project/dbt_project/seeds/ref_areas.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    codes = [r["area_code"] for r in rows]
    counties = [r for r in rows if r["area_level"] == "county"]
    assert len(codes) == len(set(codes))
    assert made["counties"] == len(counties) == 10 * len(areas("county"))
    assert all(len(c) == 6 and c.isdigit() and c.startswith("36") for c in codes)
    cities = {r["area_code"] for r in rows if r["area_level"] == "city"}
    assert {r["city_code"] for r in counties} == cities
    assert made["first_year"] == made["check_year"] - 59
    with open(tmp_path / "project/dbt_project/seeds/ref_indicators.csv",
              encoding="utf-8") as f:
        assert min(int(r["check_year_from"]) for r in csv.DictReader(f)) == made["first_year"]
    # the repository's seeds are untouched
    assert len(areas("county")) * 10 == len(counties)
