"""The demo deliveries: reproducible, in the formats senders use, plausible."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from cityhealth.core.reference import areas, seed_rows
from cityhealth.core.settings import Profile
from cityhealth.demo.generator import build_world, generate
from cityhealth.ingestion.registry import sources

YEAR = 2025


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path, small_profile: Profile, demo_landing: Path) -> None:
    generate(tmp_path, small_profile)
    assert digests(tmp_path) == digests(demo_landing)


def test_every_source_delivers_every_year_in_its_format(demo_landing: Path,
                                                       small_profile: Profile) -> None:
    for spec in sources().values():
        if not spec.delivery or spec.cadence != "annual":  # feeds; monthly registers
            continue
        for year in small_profile.years:
            [delivered] = list((demo_landing / spec.source_id / str(year)).iterdir())
            data = delivered.read_bytes()
            if spec.delivery == "xlsx":
                assert data[:2] == b"PK"
                sheet = load_workbook(delivered, read_only=True).worksheets[0]
                first_rows = list(sheet.iter_rows(max_row=2, values_only=True))
                assert "城市体检" in first_rows[0][0] or "评估" in first_rows[0][0]  # title row
                assert first_rows[1][0] in ("行政区划代码", "对象编号")
            elif spec.delivery == "csv_gbk":
                assert not data.isascii()
                try:
                    data.decode("utf-8")
                    raise AssertionError(f"{delivered} should not be valid UTF-8")
                except UnicodeDecodeError:
                    data.decode("gb18030")
            elif spec.delivery == "csv_utf8_bom":
                assert data.startswith(b"\xef\xbb\xbf")
            elif spec.delivery == "geojson":
                assert json.loads(data)["type"] == "FeatureCollection"
            else:
                assert data.decode("utf-8").startswith(("行政区划代码", "对象编号"))


def test_departments_deliver_all_counties(demo_landing: Path) -> None:
    frame = pd.read_csv(next((demo_landing / "dept_wr" / str(YEAR)).iterdir()), dtype=str)
    assert sorted(frame["行政区划代码"]) == sorted(a["area_code"] for a in areas("county"))
    names = {a["area_code"]: a["area_name_zh"] for a in areas("county")}
    assert dict(zip(frame["行政区划代码"], frame["地区名称"], strict=True)) == names


def test_cities_differ_and_indicators_improve_over_the_years() -> None:
    world = build_world(20210930, (2020, 2025))
    park = next(i for i in seed_rows("ref_indicators") if i["indicator_code"] == "EL03")
    by_year = {
        year: [world.indicator_value(park, c["area_code"], year) for c in world.counties]
        for year in (2020, 2025)
    }
    low, high = float(park["typical_low"]), float(park["typical_high"])
    assert all(low * 0.9 <= v <= high * 1.1 for v in by_year[2025])
    assert sum(by_year[2025]) > sum(by_year[2020])
    assert max(world.city_quality.values()) - min(world.city_quality.values()) > 0.5


def test_survey_export_has_personal_data_and_text_answers(demo_landing: Path,
                                                          small_profile: Profile) -> None:
    export = next((demo_landing / "survey" / str(YEAR)).iterdir())
    frame = pd.read_csv(export, dtype=str, encoding="gb18030")
    assert {"姓名", "手机号码", "身份证号", "IP地址"} <= set(frame.columns)
    assert len(frame) == small_profile.survey_respondents_per_county * len(areas("county"))
    assert frame["身份证号"].str.fullmatch(r"\d{17}[\dX]").all()
    assert set(frame.iloc[:, -1]) <= {"非常满意", "满意", "一般", "不满意", "非常不满意", "不了解"}


def test_renewal_projects_that_work_improve_what_they_treat() -> None:
    from cityhealth.demo.generator.registers import WORKING_EFFICIENCY, projects

    years = (2020, 2021, 2022, 2023, 2024, 2025)
    before = build_world(20210930, years)
    after = build_world(20210930, years, plan_start=2021)
    indicators = {i["indicator_code"]: i for i in seed_rows("ref_indicators")}
    library = projects(after, 2021)
    working = [p for p in library if p["efficiency"] >= WORKING_EFFICIENCY
               and p["end"].year <= 2025]
    idle = [p for p in library if p["efficiency"] < WORKING_EFFICIENCY]
    assert working and idle  # some projects work, some do not
    moved = 0
    for project in working:
        county = project["county"]["area_code"]
        for code in project["indicators"]:
            indicator = indicators[code]
            old = before.indicator_value(indicator, county, 2025)
            new = after.indicator_value(indicator, county, 2025)
            if indicator["direction"] == "higher_better":
                assert new >= old - 1e-9
            elif indicator["direction"] == "lower_better":
                assert new <= old + 1e-9
            moved += abs(new - old) > 1e-9
            # the start of the plan period is untouched
            assert after.indicator_value(indicator, county, 2021) == \
                before.indicator_value(indicator, county, 2021)
    assert moved > 0
