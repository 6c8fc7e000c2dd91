"""The frameworks of the check are data: which one is official in a year, the four levels
and their sub-areas, and a catalogue of the object indicators that says per row how it is
computed, scored and sourced, and whether a public document confirms it."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.reference.test_reference_data import is_documented_source, num, seed

# The codes of the shared contract between the object registers and the models.
CONTRACT_CODES = ([f"ZF{i:02d}" for i in range(1, 9)] + [f"XQ{i:02d}" for i in range(1, 10)]
                  + [f"JQ{i:02d}" for i in range(1, 5)] + [f"CQ{i:02d}" for i in range(1, 5)])


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    return seed("ref_object_indicators")


def primary_framework(year: int) -> list[str]:
    frameworks = seed("ref_frameworks")
    return [row.framework_code for row in frameworks.itertuples()
            if int(row.primary_year_from) <= year
            and (not row.primary_year_to or year <= int(row.primary_year_to))]


@pytest.mark.parametrize("year, expected", [(2020, "CHK2021"), (2023, "CHK2021"),
                                            (2024, "CHK2024"), (2025, "CHK2024"),
                                            (2031, "CHK2024")])
def test_one_primary_framework_per_check_year(year: int, expected: str) -> None:
    assert primary_framework(year) == [expected]


def test_the_2021_framework_assesses_the_plan_to_its_end() -> None:
    """2024 and 2025 are CHK2024's years, and still assessed on CHK2021 (the 2021–2025
    plan's index), so a framework's check years are not its primary years."""
    row = seed("ref_frameworks").set_index("framework_code").loc["CHK2021"]
    assert (row.check_year_from, row.check_year_to) == ("2020", "2025")
    dimensions = seed("ref_dimensions")
    assert set(dimensions.framework_code) == {"CHK2021"}
    assert set(dimensions.check_year_to) == {"2025"}


def test_four_levels_with_their_sub_areas() -> None:
    sections = seed("ref_framework_sections")
    levels = sections[sections.section_kind == "level"].set_index("section_code")
    assert list(levels.section_name_zh) == ["住房", "小区（社区）", "街区", "城区（城市）"]
    assert sum(num(w) for w in levels.weight) == pytest.approx(1.0)
    subs = sections[sections.section_kind == "sub_area"]
    by_level = subs.groupby("parent_section_code").section_name_zh.apply(list).to_dict()
    assert by_level == {
        "ZF": ["安全耐久", "功能完备", "绿色智能"],
        "XQ": ["设施完善", "环境宜居", "管理健全"],
        "JQ": ["功能完善", "整洁有序", "特色活力"],
        "CQ": ["生态宜居", "历史文化保护利用", "产城融合与职住平衡", "安全韧性", "智慧高效"],
    }
    assert (subs.level_code.values
            == levels.loc[subs.parent_section_code, "level_code"].values).all()


def test_the_catalogue_keeps_the_contract_codes(catalogue: pd.DataFrame) -> None:
    assert list(catalogue.indicator_code) == CONTRACT_CODES
    sections = seed("ref_framework_sections").set_index("section_code")
    assert (sections.loc[catalogue.section_code, "level_code"].values
            == catalogue.level_code.values).all()


def test_computation_follows_the_finding(catalogue: pd.DataFrame) -> None:
    computed = {"flag": "count_flagged", "gap": "sum_gap", "measure": "district_measure"}
    for row in catalogue.itertuples():
        assert row.computation == computed[row.finding_kind], row.indicator_code
        measure = row.finding_kind == "measure"
        # a count grows with the area: scored per a size; a measure is scored as it is
        assert bool(row.score_per) != measure, row.indicator_code
        assert bool(row.rollup_weight) == measure, row.indicator_code
        if not measure:
            assert num(row.score_per_multiplier) > 0 and row.score_unit_zh, row.indicator_code


def test_thresholds_are_ordered_by_direction(catalogue: pd.DataFrame) -> None:
    for row in catalogue.itertuples():
        ordered = [num(row.standard_value), num(row.warn_yellow), num(row.warn_red),
                   num(row.score_zero_at)]
        if row.direction == "higher_better":
            ordered.reverse()
        assert ordered == sorted(ordered) and ordered[0] != ordered[-1], row.indicator_code


def test_what_is_not_confirmed_says_what(catalogue: pd.DataFrame) -> None:
    """confirmed is true only with a cited document; otherwise the row says what is open."""
    for name, frame in (("ref_object_indicators", catalogue),
                        ("ref_frameworks", seed("ref_frameworks")),
                        ("ref_framework_sections", seed("ref_framework_sections"))):
        for row in frame.itertuples():
            assert row.confirmed in ("true", "false"), (name, row)
            if row.confirmed == "true":
                assert row.source_zh.startswith("文件：《"), (name, row)
            else:
                assert row.unconfirmed_zh, (name, row)
            assert is_documented_source(row.source_zh), (name, row)
