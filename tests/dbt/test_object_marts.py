"""The four-level check's marts built by dbt on raw object rows (tests/dbt/fixture_data.py):
indicator values from the objects, a missing district that never helps its city, the
problem list with its re-check and treatment, rectification rates, the framework switch
in the trajectory, and the 2021-framework figures left alone by the objects.

One module-scoped build with the objects; the last test quarantines every object batch,
builds again and compares the published figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from cityhealth.core import settings as settings_module
from cityhealth.core.settings import SEEDS_DIR
from tests.dbt.fixture_data import OBJECT_CITY, YEARS, ObjectFixture, insert_objects, insert_raw
from tests.reads import query

CHECK_YEAR = YEARS[-1]
OBJECT_TABLES = ("pub_object_indicator_value", "pub_level_score", "pub_object_problem_list",
                 "pub_rectification")
TRAJECTORY_NEW_COLUMNS = ("framework_code", "framework_name_zh", "index_framework_code",
                          "is_framework_switch_year", "framework_note_zh")


@dataclass
class Built:
    warehouse: Path
    objects: ObjectFixture

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        return query(sql, params, warehouse=self.warehouse)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from cityhealth.warehouse.connection import writer
    from cityhealth.warehouse.dbt import build

    home = tmp_path_factory.mktemp("object_marts") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(home))
        settings_module.settings.cache_clear()
        cfg = settings_module.settings()
        cfg.ensure_dirs()
        with writer() as con:
            insert_raw(con, SEEDS_DIR)
            objects = insert_objects(con, SEEDS_DIR)
        build(check_year=CHECK_YEAR)
        yield Built(cfg.warehouse_path, objects)
    settings_module.settings.cache_clear()


def _value(built: Built, area: str, year: int, code: str) -> tuple:
    return built.query(
        "select value, scored_value, objects_surveyed, counties_reported, counties_expected, "
        "is_complete, null_reason from published.pub_object_indicator_value "
        "where area_code = ? and period_year = ? and indicator_code = ?",
        [area, year, code])[0]


@pytest.mark.slow
def test_a_district_counts_its_buildings_with_the_finding(built: Built) -> None:
    district = built.objects.districts[0]
    # 1 of 4 buildings with a structural hazard: 25 per 100 buildings
    assert _value(built, district, 2024, "ZF01") == (1.0, 25.0, 4, 1, 1, True, None)
    assert _value(built, district, 2025, "ZF01") == (0.0, 0.0, 4, 1, 1, True, None)
    # 30 parking places short over 500 households: 60 per 1000 households
    assert _value(built, district, 2024, "XQ06")[:2] == (30.0, 60.0)


@pytest.mark.slow
def test_the_city_sums_its_districts_and_a_missing_one_never_helps(built: Built) -> None:
    n = len(built.objects.districts)
    # a gas hazard in 1 of 4 buildings of every district: 25 per 100, as in each district
    assert _value(built, OBJECT_CITY, 2024, "ZF02") == (n, 25.0, 4 * n, n, n, True, None)
    # 2025: one district delivered nothing; the others still count a gas hazard each
    value, scored, _, reported, expected, complete, reason = _value(
        built, OBJECT_CITY, 2025, "ZF02")
    assert (value, scored, reported, expected, complete, reason) == (
        None, None, n - 1, n, False, "sum_incomplete")
    # a measure is rolled up weighted by households and flagged above the 0.8 coverage
    measure = _value(built, OBJECT_CITY, 2025, "CQ01")
    weights = [10_000 + 1_000 * i for i in range(n - 1)]
    figures = [2.0 + 0.1 * i for i in range(n - 1)]
    assert measure[0] == pytest.approx(sum(w * f for w, f in zip(weights, figures, strict=True))
                                       / sum(weights))
    assert measure[5:] == (False, None)
    score = built.query(
        "select level_score, indicators_missing from published.pub_level_score "
        "where area_code = ? and period_year = 2025 and level_code = 'housing'",
        [OBJECT_CITY])[0]
    assert score[1] >= 1  # the withheld counts are missing, and count as 0
    complete_2024 = built.query(
        "select level_score from published.pub_level_score "
        "where area_code = ? and period_year = 2024 and level_code = 'overall'", [OBJECT_CITY])
    assert complete_2024[0][0] is not None
    # a city without any surveyed district reports nothing, never a zero
    other = built.query(
        "select count(*) filter (where value is not null), count(*) "
        "from published.pub_object_indicator_value where area_code = '360200'")[0]
    assert other[0] == 0 and other[1] > 0


@pytest.mark.slow
def test_problem_list_rechecks_and_treatment(built: Built) -> None:
    first, missing = built.objects.districts[0], built.objects.missing
    rows = {(r[0], r[1]): r[2:] for r in built.query(
        "select problem_id, period_year, treatment_status_zh, project_id, recheck_outcome_zh, "
        "level_name_zh, county_name_zh from published.pub_object_problem_list")}
    assert rows[(f"{first}-ZF-00001:ZF01", 2024)][:3] == ("已整改", f"P-{first}", "复查已销号")
    assert rows[(f"{first}-ZF-00002:ZF02", 2024)][:3] == ("整治中", None, "复查未通过")
    assert rows[(f"{first}-ZF-00002:ZF02", 2025)][2] == "待复查"
    assert rows[(f"{missing}-ZF-00002:ZF02", 2024)][2] == "待复查"  # not surveyed again
    assert rows[(f"{first}-ZF-00001:ZF01", 2024)][3] == "住房"
    assert not any(key[0] == built.objects.quarantined_problem for key in rows)
    # a measure is a district's figure, not a problem
    assert not any(key[0].endswith(":CQ01") for key in rows)


@pytest.mark.slow
def test_rectification_rate_per_level_and_city(built: Built) -> None:
    n = len(built.objects.districts)
    rates = {(r[0], r[1]): r[2:] for r in built.query(
        "select period_year, level_code, problems_found, problems_rectified, "
        "rectification_rate_pct, recheck_passed, recheck_failed, is_complete "
        "from published.pub_rectification where area_code = ?", [OBJECT_CITY])}
    # 2024 housing: ZF01 and ZF02 in every district, ZF01 rectified; re-checked in 2025
    # except in the district that was not surveyed again
    assert rates[(2024, "housing")] == (2 * n, n, 50.0, n - 1, n - 1, True)
    # the compound's parking gap is a problem too, never treated
    assert rates[(2024, "all")][:3] == (3 * n, n, round(100 / 3, 1))
    # 2025 without one district: counts withheld, the rate computed and flagged
    assert rates[(2025, "housing")][0] is None and rates[(2025, "housing")][-1] is False


@pytest.mark.slow
def test_the_trajectory_says_the_framework_changed(built: Built) -> None:
    rows = built.query(
        "select period_year, framework_code, index_framework_code, is_framework_switch_year, "
        "framework_note_zh from published.pub_index_trajectory where area_code = ? "
        "order by period_year", [OBJECT_CITY])
    by_year = {r[0]: r[1:] for r in rows}
    assert by_year[2024][:3] == ("CHK2024", "CHK2021", True)
    assert "CHK2021" in by_year[2024][3] and "CHK2024" in by_year[2024][3]
    assert "仍按" in by_year[2024][3] and "不反映" in by_year[2024][3]
    assert by_year[2025][2:] == (False, None)


def _digests(warehouse: Path) -> dict[str, tuple]:
    """Table -> (rows, md5) of every published view but the object ones, the trajectory
    without its framework columns (text of 9 significant digits, as the release test)."""
    from tests.published_figures import _row_text

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = "
            "'published' order by 1").fetchall() if t not in OBJECT_TABLES]
        result = {}
        for table in tables:
            columns = [c for c in con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'published' and table_name = ? order by ordinal_position",
                [table]).fetchall() if c[0] not in TRAJECTORY_NEW_COLUMNS]
            result[table] = con.execute(
                f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), '')) "
                f"from (select {_row_text(columns)} as r from published.\"{table}\")"
            ).fetchone()
        return result
    finally:
        con.close()


@pytest.mark.slow
def test_objects_leave_the_2021_framework_figures_alone(built: Built) -> None:
    """Runs last: with the object tables emptied every other published view publishes
    the same figures, and the object views are empty. (The batches stay promoted: the
    annual appraisal counts every delivery that passed validation, objects' included.)"""
    from cityhealth.warehouse.connection import writer
    from cityhealth.warehouse.dbt import build

    with_objects = _digests(built.warehouse)
    with writer() as con:
        for table in ("check_objects", "object_findings", "object_treatment"):
            con.execute(f"delete from raw.{table}")
    build(check_year=CHECK_YEAR)
    assert _digests(built.warehouse) == with_objects
    for table in OBJECT_TABLES:
        assert built.query(f"select count(*) from published.{table}") == [(0,)], table
