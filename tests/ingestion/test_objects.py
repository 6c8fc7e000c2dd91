"""The four-level check's registers: objects, findings and treatment, as delivered.

Small deliveries are written here as the field teams would (CSV, XLSX, GeoJSON); the
demo's own (tens of thousands of buildings) are generated once and loaded once.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import shapely

from cityhealth.core import settings as settings_module
from cityhealth.core.boundaries import contains, outlines
from cityhealth.core.settings import settings
from cityhealth.demo.generator.files import write_table
from cityhealth.demo.generator.objects import FINDING_HEADER, OBJECT_HEADER
from cityhealth.expectations.gate import validate_pending
from cityhealth.ingestion.run import BatchOutcome, ingest_source
from tests.reads import query

YEAR = "2025"
COUNTY, COUNTY_ZH = "360102", "东湖区"
OTHER = "360103"  # 西湖区, beside it


def point_in(code: str) -> tuple[float, float]:
    point = outlines()[code].geometry.representative_point()
    return round(point.x, 6), round(point.y, 6)


def feature(object_id: str, geometry: shapely.Geometry, parent: str = "",
            county: str = COUNTY) -> dict:
    return {"type": "Feature", "geometry": shapely.geometry.mapping(geometry),
            "properties": {"对象编号": object_id, "对象名称": "示例", "所在区县代码": county,
                           "上级对象编号": parent, "体检年度": int(YEAR), "面积(平方米)": 1e5}}


def drop(source_id: str, name: str, write, period: str = YEAR) -> Path:
    """A delivery landed (later than any before it: a correction comes after)."""
    folder = settings().landing_dir / source_id / period
    folder.mkdir(parents=True, exist_ok=True)
    path = write(folder / name)
    later = time.time() + len(list(folder.iterdir()))
    os.utime(path, (later, later))
    return path


def geojson(features: list[dict]):
    def write(path: Path) -> Path:
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                                   ensure_ascii=False), encoding="utf-8")
        return path
    return write


def sheet(header: list[str], rows: list[list[object]], delivery: str):
    def write(path: Path) -> Path:
        return write_table(path.with_suffix(""), delivery, "城市体检信息采集表", header, rows)
    return write


def load(source_id: str, period: str = YEAR) -> list[BatchOutcome]:
    """Every landed delivery of the source and period (the newest last), validated."""
    outcomes = ingest_source(source_id, period)
    validate_pending(source_id, period)
    return outcomes


def building(object_id: str, lon: float, lat: float, parent: str = "XQ1",
             county: str = COUNTY) -> list[object]:
    return [object_id, "幸福小区1栋", county, "公园街道", parent, YEAR, lon, lat, 1995, 6, 36, 30,
            3000, "a.jpg;b.jpg"]


@pytest.fixture
def parents(cityhealth_home: Path) -> Path:
    """A district, a block and a compound of 东湖区 promoted for the year."""
    x, y = point_in(COUNTY)
    drop("objects_district", "城区.geojson", geojson(
        [feature("CQ1", shapely.simplify(outlines()[COUNTY].geometry, 0.002))]))
    drop("objects_block", "街区.geojson", geojson(
        [feature("JQ1", shapely.box(x - 1e-4, y - 1e-4, x + 1e-4, y + 1e-4), "CQ1")]))
    drop("objects_compound", "小区.xlsx", sheet(
        OBJECT_HEADER, [["XQ1", "幸福小区", COUNTY, "公园街道", "JQ1", YEAR, x, y, 1990, "",
                         200, 180, 20000, ""]], "xlsx"))
    for source_id in ("objects_district", "objects_block", "objects_compound"):
        [outcome] = load(source_id)
        assert outcome.status == "loaded", outcome.error
    assert query("select status, count(*) from raw.load_batches group by all") == \
        [("promoted", 3)]
    return cityhealth_home


def test_an_object_outside_its_county_is_quarantined_naming_file_row_heading_county(
        parents: Path) -> None:
    inside, outside = point_in(COUNTY), point_in(OTHER)
    drop("objects_housing", "住房.csv", sheet(
        OBJECT_HEADER, [building("ZF1", *inside), building("ZF2", *outside)], "csv_utf8"))
    [outcome] = load("objects_housing")
    assert outcome.status == "quarantined"
    error = outcome.error
    assert error.startswith("objects_housing: 住房.csv: data row 2, column 经度/纬度: ")
    assert (f"第2行「经度」「纬度」({outside[0]:g}, {outside[1]:g}) 不在所在区县 {COUNTY} "
            f"{COUNTY_ZH} 的行政区域内，请核对坐标或区县代码") in error
    assert "ZF1" not in error and "data row 1" not in error
    assert query("select count(*) from raw.check_objects where object_kind = 'housing'") == \
        [(0,)]
    [(status, ledger_error)] = query("select status, error from raw.load_batches "
                                     "where source_id = 'objects_housing'")
    assert status == "quarantined" and "不在所在区县 360102 东湖区" in ledger_error
    [folder] = (settings().quarantine_dir).iterdir()
    assert "第2行" in (folder / "error.txt").read_text(encoding="utf-8")


def test_a_block_feature_outside_its_county_is_named_by_its_feature(parents: Path) -> None:
    x, y = point_in(OTHER)
    drop("objects_block", "街区更正.geojson", geojson(
        [feature("JQ2", shapely.Point(x, y), "CQ1")]))
    outcome = load("objects_block")[-1]
    assert outcome.status == "quarantined"
    assert "feature 1, column 经度/纬度" in outcome.error and "第1个要素" in outcome.error


def test_a_duplicate_id_and_a_missing_parent_are_refused(parents: Path) -> None:
    x, y = point_in(COUNTY)
    drop("objects_housing", "住房.csv", sheet(OBJECT_HEADER, [
        building("ZF1", x, y), building("ZF1", x, y), building("ZF3", x, y, parent="XQ9")],
        "csv_utf8"))
    [outcome] = load("objects_housing")
    assert outcome.status == "quarantined"
    assert "data row 2 (line 3), column 对象编号: 同一记录出现两行" in outcome.error
    assert "(also data row 1 (line 2))" in outcome.error
    # the duplicate is refused before the parents are looked up: correct it, then
    drop("objects_housing", "住房2.csv", sheet(OBJECT_HEADER, [
        building("ZF1", x, y), building("ZF3", x, y, parent="XQ9")], "csv_utf8"))
    second = load("objects_housing")[-1]
    assert second.status == "quarantined"
    assert ("data row 2, column 上级对象编号: 上级对象编号不是本年度已入库的小区(社区)，"
            "请核对编号，或先报送小区(社区)信息采集表") in second.error


def test_implausible_attributes_fail_the_quality_gate_naming_the_cell(parents: Path) -> None:
    x, y = point_in(COUNTY)
    row = building("ZF1", x, y)
    row[9] = 300  # 层数
    drop("objects_housing", "住房.csv", sheet(OBJECT_HEADER, [row], "csv_utf8"))
    assert load("objects_housing")[0].status == "loaded"
    [(status, error)] = query("select status, error from raw.load_batches "
                              "where source_id = 'objects_housing'")
    assert status == "quarantined"
    assert "层数须在1到120之间" in error and "data row 1, column 层数" in error


def test_findings_must_be_on_a_known_object_of_the_indicator_kind(parents: Path) -> None:
    x, y = point_in(COUNTY)
    drop("objects_housing", "住房.csv", sheet(OBJECT_HEADER, [building("ZF1", x, y)],
                                              "csv_utf8"))
    assert load("objects_housing")[0].status == "loaded"
    drop("object_findings", "问题清单.csv", sheet(FINDING_HEADER, [
        ["ZF1", "ZF02", YEAR, "", "燃气管老化", "c.jpg"],
        ["ZF404", "ZF01", YEAR, 1, "", ""],
        ["ZF1", "XQ06", YEAR, 12, "", ""],
        ["XQ1", "XQ06", YEAR, "", "", ""],
        ["XQ1", "XX99", YEAR, 1, "", ""]], "csv_utf8_bom"))
    [outcome] = load("object_findings")
    assert outcome.status == "quarantined"
    assert "data row 5 (line 6), column 指标代码: 填写的内容不在对象指标目录中" in outcome.error
    drop("object_findings", "问题清单2.csv", sheet(FINDING_HEADER, [
        ["ZF1", "ZF02", YEAR, "", "燃气管老化", "c.jpg"],
        ["ZF404", "ZF01", YEAR, 1, "", ""],
        ["ZF1", "XQ06", YEAR, 12, "", ""],
        ["XQ1", "XQ06", YEAR, "", "", ""]], "csv_utf8_bom"))
    second = load("object_findings")[-1]
    assert second.status == "quarantined"
    assert ("data row 2, column 对象编号: 对象编号不是本年度已入库的体检对象" in second.error)
    assert ("data row 3, column 指标代码: 指标XQ06适用于小区(社区)，而该对象是住房"
            in second.error)
    assert "data row 4, column 问题数值: 指标XQ06须填写问题数值" in second.error
    assert "data row 1" not in second.error
    drop("object_findings", "问题清单3.csv", sheet(FINDING_HEADER, [
        ["ZF1", "ZF02", YEAR, "", "燃气管老化", "c.jpg"], ["XQ1", "XQ06", YEAR, 12, "", ""]],
        "csv_utf8_bom"))
    assert load("object_findings")[2].status == "loaded"
    assert query("select object_id, indicator_code, value, photo_files from "
                 "raw.object_findings order by 1") == [
        ("XQ1", "XQ06", 12.0, None), ("ZF1", "ZF02", 1.0, ["c.jpg"])]


def test_a_corrected_delivery_supersedes_the_one_in_force(parents: Path) -> None:
    x, y = point_in(COUNTY)
    drop("objects_housing", "住房.csv", sheet(OBJECT_HEADER, [building("ZF1", x, y)],
                                              "csv_utf8"))
    corrected = building("ZF1", x, y)
    corrected[9] = 7
    drop("objects_housing", "住房更正.csv", sheet(
        OBJECT_HEADER, [corrected, building("ZF2", x, y)], "csv_utf8"))
    assert [o.status for o in load("objects_housing")] == ["loaded", "loaded"]
    in_force = query("""
        select o.object_id, o.floors from raw.check_objects as o
        join raw.load_batches as b using (batch_id)
        where b.status = 'promoted' and o.object_kind = 'housing' order by 1""")
    assert in_force == [("ZF1", 7), ("ZF2", 6)]
    assert query("select original_name, status from raw.load_batches "
                 "where source_id = 'objects_housing' order by received_at") == [
        ("住房.csv", "superseded"), ("住房更正.csv", "promoted")]


def test_treatment_status_must_be_one_of_the_registers_words(cityhealth_home: Path) -> None:
    header = ["对象编号", "指标代码", "报告月份", "项目编号", "整治状态", "销号日期"]
    drop("object_treatment", "台账.xlsx", sheet(header, [
        ["ZF1", "ZF02", "2025-07", "GX36010201", "已整改", ""]], "xlsx"), "2025-07")
    [outcome] = load("object_treatment", "2025-07")
    assert outcome.status == "quarantined"
    assert "column 整治状态: 只能填写以下之一：已列入、整治中、已销号" in outcome.error
    drop("object_treatment", "台账2.xlsx", sheet(header, [
        ["ZF1", "ZF02", "2025-07", "GX36010201", "已销号", "2025-07-15"],
        ["ZF2", "ZF02", "2025-07", "", "整治中", ""]], "xlsx"), "2025-07")
    assert load("object_treatment", "2025-07")[1].status == "loaded"
    assert query("select object_id, status, rectified_on::varchar, project_id "
                 "from raw.object_treatment order by 1") == [
        ("ZF1", "rectified", "2025-07-15", "GX36010201"), ("ZF2", "in_progress", None, None)]


# --- the demo's objects, generated and loaded once ---------------------------------------

SOURCES = ("objects_district", "objects_block", "objects_compound", "objects_housing",
           "object_findings")


@pytest.fixture(scope="module")
def demo_objects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The demo's 2024 and 2025 objects and findings, and 2025's treatment, loaded."""
    from cityhealth.core.periods import Period
    from cityhealth.core.settings import Profile
    from cityhealth.demo.generator.objects import write_objects
    from cityhealth.demo.generator.world import build_world
    from cityhealth.ingestion.registry import sources

    home = tmp_path_factory.mktemp("objects") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(home))
        settings_module.settings.cache_clear()
        cfg = settings()
        cfg.ensure_dirs()
        profile = Profile.load("demo")
        plan_start = Period.plan_of(profile.check_year).first_year
        world = build_world(profile.seed, (2024, 2025), plan_start)
        specs = {s.kind: (s.source_id, s.delivery) for s in sources().values()}
        started = time.perf_counter()
        write_objects(world, cfg.landing_dir, (2024, 2025), plan_start, specs)
        generated = time.perf_counter() - started
        second = tmp_path_factory.mktemp("again")
        write_objects(world, second, (2024, 2025), plan_start, specs)
        outcomes = []
        for year in ("2024", "2025"):
            for source_id in SOURCES:
                outcomes += load(source_id, year)
        for month in range(1, 13):
            outcomes += load("object_treatment", f"2025-{month:02d}")
        loaded = time.perf_counter() - started - generated
        print(f"demo objects: generated in {generated:.1f} s, ingested and validated in "
              f"{loaded:.1f} s")
        yield {"outcomes": outcomes, "landing": cfg.landing_dir, "again": second}
    settings_module.settings.cache_clear()


def test_the_demo_objects_load_every_point_inside_its_county(demo_objects: dict) -> None:
    outcomes = demo_objects["outcomes"]
    assert {o.status for o in outcomes} == {"loaded"}, [o.error for o in outcomes]
    assert query("select count(*) from raw.load_batches where status <> 'promoted'") == [(0,)]
    counts = dict(query("select object_kind, count(*) from raw.check_objects "
                        "where period_year = 2025 group by all"))
    assert counts["district"] == 27  # the 11 cities' 市辖区
    assert 100 <= counts["block"] < 1000
    assert 1000 <= counts["compound"] < 10_000
    assert 10_000 <= counts["housing"] < 100_000
    new = query("""select count(*) from raw.check_objects as n where period_year = 2025
                   and not exists (select 1 from raw.check_objects as o
                                   where o.period_year = 2024 and o.object_id = n.object_id)""")
    assert 0 < new[0][0] < counts["housing"] * 0.05
    points = query("select county_code, list(longitude), list(latitude) "
                   "from raw.check_objects group by all")
    for code, lon, lat in points:
        assert contains(code, np.array(lon), np.array(lat)).all(), code


def test_the_demo_findings_half_gone_a_year_later_and_treated(demo_objects: dict) -> None:
    [(found, gone, rate)] = query("""
        with problem as (
            select f.period_year, f.object_id || ':' || f.indicator_code as problem_id
            from raw.object_findings as f
            join read_csv('dbt_project/seeds/ref_object_indicators.csv') as i
              using (indicator_code)
            where i.finding_kind in ('flag', 'gap'))
        select count(*), count_if(problem_id not in (select problem_id from problem
                                                     where period_year = 2025)),
               count(*) / (select count(*) from raw.check_objects where period_year = 2024)
        from problem where period_year = 2024""")
    assert found > 1000 and 0.4 < gone / found < 0.6 and 0.01 < rate < 0.2
    [(rectified, linked, months)] = query("""
        select count_if(status = 'rectified'), count(distinct project_id),
               count(distinct period) from raw.object_treatment""")
    assert months == 12 and linked > 10
    assert 0.3 * gone < rectified <= gone


def test_the_demo_objects_are_the_same_bytes_twice(demo_objects: dict) -> None:
    first, second = demo_objects["landing"], demo_objects["again"]
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) == 2 * 5 + 12
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name

