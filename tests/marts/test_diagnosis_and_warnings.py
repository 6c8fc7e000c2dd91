"""Diagnosis and early warning on the demo: problems in plain sentences, three colours.

The assertions read the marts and published views of the session's demo platform
(``tests/demo_platform.py``), as BI tools and reports do."""

from __future__ import annotations

import pytest

from tests.demo_platform import DemoPlatform


@pytest.mark.slow
def test_diagnosis_finds_problems_with_plain_sentences(demo: DemoPlatform) -> None:
    per_city = dict(demo.query(
        "select area_code, count(*) from published.pub_diagnosis "
        "where area_level = 'city' and period_year = ? group by area_code", [demo.check_year]))
    assert set(per_city) == set(demo.cities)
    rows = demo.query(
        "select indicator_name_zh, description_zh, is_below_standard, is_worsening, "
        "is_bottom_fifth, worsening_years, dimension_code "
        "from published.pub_diagnosis where period_year = ?", [demo.check_year])
    for name, sentence, below, worsening, bottom, years, _ in rows:
        assert sentence.startswith(f"{name}为") and sentence.endswith("。")
        assert below or worsening or bottom
        if below:
            assert "标准值" in sentence or "合理区间" in sentence
        if worsening:
            assert f"已连续{years}年" in sentence or f"已连续{years}年扩大" in sentence
        if bottom:
            assert "处于后20%" in sentence
    assert any(worsening for _, _, _, worsening, *_ in rows), "no indicator worsened 2 years"
    assert any(bottom for _, _, _, _, bottom, *_ in rows)
    assert len({dimension for *_, dimension in rows}) == 8


@pytest.mark.slow
def test_warnings_show_all_three_colours_annual_and_monitored(demo: DemoPlatform) -> None:
    rows = demo.query(
        "select frequency, warning_level, count(*), count_if(is_escalated) "
        "from published.pub_early_warning group by all")
    colours: dict[str, set[str]] = {}
    for frequency, level, _, _ in rows:
        colours.setdefault(frequency, set()).add(level)
    assert colours["annual"] == {"red", "yellow", "green"}
    assert colours["monthly"] == {"red", "yellow", "green"}
    assert "quarterly" in colours
    assert sum(escalated for *_, escalated in rows) > 0
    monitored = demo.query(
        "select count(distinct period) from published.pub_early_warning "
        "where frequency = 'monthly' and period_year = ?", [demo.check_year])
    assert monitored == [(12,)]
