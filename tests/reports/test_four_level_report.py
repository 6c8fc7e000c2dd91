"""The annual city report in the check's four-level structure (2024 on), read as an
official would: the section comes first, its figures are the published ones, the object
problem list and its map are there, the workbook holds the whole list; a year under the
2021 framework alone has no such section."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from cityhealth.reports.annual import write_annual_reports
from cityhealth.reports.five_year import write_five_year_report
from cityhealth.reports.four_level import LIST_ROWS, WORKBOOK_SHEET
from tests.demo_platform import DemoPlatform
from tests.geography import FIRST_CITY
from tests.reports.test_reports import published, zh

pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def reports(demo_platform: DemoPlatform, tmp_path_factory: pytest.TempPathFactory):
    """The check year's reports and those of a year before the four levels (2021
    framework), both from the check year's release."""
    period = str(demo_platform.check_year)
    out = tmp_path_factory.mktemp("four_level")
    years = (demo_platform.check_year, demo_platform.years[0])
    with demo_platform.active():
        return {year: write_annual_reports(year, demo_platform.releases[period],
                                           out / str(year)) for year in years}


def _city_page(report_set) -> str:
    path = next(p for p in report_set.files
                if p.suffix == ".html" and FIRST_CITY["area_code"] in p.name)
    return path.read_text(encoding="utf-8")


def test_city_report_opens_with_the_four_levels(demo_platform: DemoPlatform, reports) -> None:
    year = demo_platform.check_year
    period, code = str(year), FIRST_CITY["area_code"]
    text = _city_page(reports[year])
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    first = next(h for h in headings if h.startswith("一"))
    assert "四级体检" in first, headings
    levels = published(demo_platform, period,
                       "select level_name_zh from pub_level_score where area_code = ? "
                       "and period_year = ? and level_code <> 'overall'", [code, year])
    assert len(levels) == 4
    for (level,) in levels:
        assert f"<td>{level}</td>" in text, level
    [(score, low, high)] = published(
        demo_platform, period,
        "select satisfaction_score, ci_low, ci_high from pub_satisfaction_by_level "
        "where area_code = ? and period_year = ? and level_code = 'housing'", [code, year])
    assert zh(f"{score:,.1f}({low:,.1f}–{high:,.1f})") in text
    [(found, rectified, rate)] = published(
        demo_platform, period,
        "select problems_found, problems_rectified, rectification_rate_pct "
        "from pub_rectification where area_code = ? and period_year = ? "
        "and level_code = 'all'", [code, year])
    assert found > LIST_ROWS  # the demo's city has more problems than the page lists
    assert f"四级体检查出问题 <b>{found:,}</b> 个" in text
    assert f'<td class="num">{rectified:,}</td>' in text and f"{rate:,.1f}%" in text
    assert text.count("<td>待复查</td>") + text.count("<td>复查") >= LIST_ROWS
    assert 'alt="四级体检问题对象分布图"' in text
    [(untreated,)] = published(
        demo_platform, period,
        "select count(*) from pub_object_problem_list where city_code = ? "
        "and period_year = ? and treatment_status is null", [code, year])
    if untreated:  # the page lists untreated problems first
        listing = text[text.index("问题清单（对象级）"):]
        start = listing.index("<tr><td")
        first_row = listing[start:listing.index("</tr>", start)]
        assert "未列入整治台账" in first_row


def test_workbook_holds_every_object_problem(demo_platform: DemoPlatform, reports) -> None:
    year = demo_platform.check_year
    [(count,)] = published(demo_platform, str(year),
                           "select count(*) from pub_object_problem_list where period_year = ?",
                           [year])
    [workbook] = [p for p in reports[year].files if p.suffix == ".xlsx"]
    book = load_workbook(workbook, read_only=True)
    rows = list(book[WORKBOOK_SHEET].iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r and r[0] == "problem_id"))
    assert len(rows) - header - 1 == count > 0


def test_a_year_before_the_four_levels_has_no_such_section(demo_platform: DemoPlatform,
                                                           reports) -> None:
    text = _city_page(reports[demo_platform.years[0]])
    assert "四级体检" not in text
    assert re.findall(r"<h2>(一、[^<]*)</h2>", text) == ["一、八个维度得分"]


def test_the_five_year_trajectory_says_where_the_framework_changed(
        demo_platform: DemoPlatform, tmp_path) -> None:
    """The plan period 2021–2025 crosses the switch to the four levels in 2024: the
    assessment says so in the trajectory's own words, before its first table."""
    label = demo_platform.plan_label
    [(year, note)] = published(
        demo_platform, label,
        "select distinct period_year, framework_note_zh from pub_index_trajectory "
        "where is_framework_switch_year", [])
    assert year == 2024 and "2024" in note
    with demo_platform.active():
        report = write_five_year_report(label, demo_platform.releases[label], tmp_path)
    text = report.index.read_text(encoding="utf-8")
    assert zh(note) in text
    assert text.index(zh(note)) < text.index("<table")
