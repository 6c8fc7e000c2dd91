"""Reports on thin data tell the truth: what is missing is said, nothing is made up.

Thin releases are made by hand from the demo's annual release (``thin.py``): only the
check year left, no register for the month, no bulletin for the quarter, an indicator
NULL for the check year, every mart of a report empty. The pages must be written, say
in Chinese what they cannot compute and why, and state no change, rank, leader or
laggard the data cannot carry. The full demo, for two periods of each kind, must still
give the real statements.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import duckdb
import pytest

from cityhealth.reports import writer
from cityhealth.reports.html import zh_typography as zh
from tests.demo_platform import DemoPlatform
from tests.geography import CITIES, COUNTIES, FIRST_CITY, SECOND_CITY
from tests.reports.thin import (
    duplicate_headings,
    headline,
    only_year,
    text_of,
    thin_release,
)

pytestmark = pytest.mark.slow

IMAGE = 'src="data:image/png;base64,'
MAP = '<img class="map"'
GAPS = '<div class="gaps">'
# Statements of change, trend, rank or leadership: never on thin data.
CLAIMS = ("变为", "提高最多", "最高的是", "排名靠前", "排名靠后", "+0.0")


@pytest.fixture(scope="module")
def source(demo_platform: DemoPlatform) -> Path:
    """The demo's annual release: every year, every month and quarter of the check year."""
    return demo_platform.releases[str(demo_platform.check_year)]


@pytest.fixture(scope="module")
def make(source: Path, tmp_path_factory: pytest.TempPathFactory):
    """``make(name, edits, period)``: a thin release folder copied from the demo."""
    root = tmp_path_factory.mktemp("thin_releases")

    def build(name: str, edits: list[str], period: str) -> Path:
        return thin_release(source, root / name, edits, period)

    return build


def write(demo_platform: DemoPlatform, kind: str, period: str, release: Path,
          out: Path) -> str:
    """The report's main page (the index for the annual reports) as text."""
    with demo_platform.active():
        report_set = writer(kind)(period, release, out)
    for path in [*report_set.files, report_set.index]:
        if path.suffix == ".html":
            assert duplicate_headings(text_of(path)) == [], path.name
    return text_of(report_set.index)


def published(release: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(release / "published.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def assert_no_claims(text: str) -> None:
    for claim in CLAIMS:
        assert claim not in text, claim


# -- the five-year assessment ----------------------------------------------------------------

def test_five_year_report_on_the_last_year_only(
        demo_platform: DemoPlatform, source: Path, make, tmp_path: Path) -> None:
    """Only the check year ingested: no change, no rank, no leader, no line charts."""
    year, (start, end) = demo_platform.check_year, demo_platform.plan_period
    release = make("five_year_one_year", only_year(source, year), demo_platform.plan_label)
    assert {s for (s,) in published(
        release, "select distinct assessment_status from pub_five_year_assessment")} == {
        "no_data"}
    text = write(demo_platform, "five_year", demo_platform.plan_label, release, tmp_path)
    assert zh(f"仅有{year}年一年数据,不作排名与变化判断。") in text
    assert zh(f"基期({start - 1}年)无数据,无法计算五年变化。") in text
    assert "期末目标达成无法评估" in text and "数据不足" in text
    assert f"本报告依据发布版本中{year}年的设区市城市健康指数" in text
    assert_no_claims(text)
    assert not re.search(r"<th>[^<]*(排名|名次|变化)[^<]*</th>", text)
    assert text.count(f"<th>{year}年指数</th>") == 1
    assert IMAGE not in text  # one point is no trajectory
    assert "不绘制指数变化趋势图" in text and "不绘制趋势图" in text
    assert f"{start}—{end}年五年评估报告" in text


def test_five_year_report_without_its_baseline(
        demo_platform: DemoPlatform, make, tmp_path: Path) -> None:
    """Baseline year missing: the change is over the years there are, and says so."""
    start, end = demo_platform.plan_period
    baseline = start - 1
    release = make("five_year_no_baseline", [
        f"delete from pub_health_index where period_year = {baseline}",
        f"delete from pub_index_trajectory where period_year = {baseline}"],
        demo_platform.plan_label)
    text = write(demo_platform, "five_year", demo_platform.plan_label, release, tmp_path)
    assert (zh(f"基期({baseline}年)无数据,无法计算五年变化;以下变化为{start}—{end}年的变化。")
            in text)
    assert f"<th>{start}—{end}年变化</th>" in text
    assert zh(f"{start}—{end}年,全省{len(CITIES)}个设区市城市健康指数平均由") in headline(text)
    assert f"<th>{baseline}年指数</th>" not in text


@pytest.mark.parametrize("label", ["plan", "shorter"])
def test_five_year_report_states_changes_and_leaders_on_full_data(
        demo_platform: DemoPlatform, source: Path, tmp_path: Path, label: str) -> None:
    """The full demo, for the plan period and for a shorter period inside it."""
    start, end = demo_platform.plan_period
    if label == "shorter":
        start, end = start + 1, end - 1
    period = f"plan-{start}-{end}"
    text = write(demo_platform, "five_year", period, source, tmp_path)
    baseline = start - 1
    rows = published(
        source, "select area_name_zh, period_year, health_index from pub_health_index "
        "where area_level = 'city' and period_year in (?, ?)", [baseline, end])
    index = {(name, year): value for name, year, value in rows}
    cities = {name for name, _year in index}
    mean = {y: sum(index[c, y] for c in cities) / len(cities) for y in (baseline, end)}
    change = {c: round(index[c, end] - index[c, baseline], 1) for c in cities}
    best = max(change.values())
    top = headline(text)
    assert zh(f"{baseline}—{end}年,全省{len(cities)}个设区市城市健康指数平均由") in top
    assert (zh(f"<b>{mean[baseline]:.1f}</b>({baseline}年,各市合计达标 ") in top
            and zh(f"变为 <b>{mean[end]:.1f}</b>({end}年,各市合计达标 ") in top)
    assert "提高最多的是" in top and f"{best:+.1f}）" in top
    assert all(city in top.split("提高最多的是")[1].split("）")[0]
               for city, value in change.items() if value == best)
    assert f"<th>{baseline}—{end}年变化</th>" in text and f"<th>{end}年排名</th>" in text
    assert text.count(IMAGE) == 3  # index lines, dimension lines, the map of the change
    assert text.count(MAP) == 1
    if label == "plan":
        assert "期末指标达标率最高的是" in top
        assert GAPS not in text
    else:  # the release assesses the attainment of its own plan period only
        assert "期末指标达标率最高的是" not in top
        assert f"发布版本中无{start}—{end}年规划期的期末目标评估" in text


# -- the annual report -----------------------------------------------------------------------

def test_annual_report_with_an_indicator_all_null(
        demo_platform: DemoPlatform, source: Path, make, tmp_path: Path) -> None:
    """An indicator NULL everywhere in the check year: written, and said."""
    year = demo_platform.check_year
    [(code, name)] = published(
        source, "select indicator_code, any_value(indicator_name_zh) from pub_indicator_value "
        "where period_year = ? group by 1 order by 1 limit 1", [year])
    release = make("annual_null_indicator", [
        "update pub_indicator_value set value = null, is_attained = null, score = null, "
        f"distance_to_standard = null where indicator_code = '{code}' "
        f"and period_year = {year}"], str(year))
    out = tmp_path / "annual"
    text = write(demo_platform, "annual", str(year), release, out)
    pages = sorted(out.glob("城市体检报告_*.html"))
    assert len(pages) == len(demo_platform.cities)
    assert "排名" in text
    city = text_of(next(p for p in pages if FIRST_CITY["area_code"] in p.name))
    assert zh(f"项指标{year}年数值缺失,无法判断是否达标:{html.escape(name)}。") in city
    assert "项数值缺失、无法判断是否达标" in headline(city)
    assert "无法判断</span>" in city  # the appendix row of the indicator


def test_annual_report_of_a_city_without_an_index(
        demo_platform: DemoPlatform, make, tmp_path: Path) -> None:
    """A city whose index and one dimension are NULL: no rank, no radar, and said."""
    year = demo_platform.check_year
    release = make("annual_null_index", [
        "update pub_health_index set health_index = null, rank_in_province = null, "
        "rank_p05 = null, rank_p95 = null, score_el = null, indicators_scored = null "
        f"where area_code = '{SECOND_CITY['area_code']}' and period_year = {year}"], str(year))
    out = tmp_path / "annual"
    index = write(demo_platform, "annual", str(year), release, out)
    assert f"{year}年城市健康指数缺失。" in index
    city = text_of(next(out.glob(f"城市体检报告_{SECOND_CITY['area_code']}_*.html")))
    name = SECOND_CITY["area_name_zh"]
    assert zh(f"{name}{year}年城市健康指数缺失,无法计算,不作排名。") in city
    assert "排名第" not in city and "不作排名" in headline(city)
    assert zh(f"{name}{year}年生态宜居维度得分缺失,不绘制维度雷达图。") in city
    # the counties' map, the problem objects' map and the province's bars, no radar
    assert city.count(IMAGE) == 3


def test_annual_report_with_too_few_simulations_gives_no_interval(
        demo_platform: DemoPlatform, make, tmp_path: Path) -> None:
    """Fewer simulations than uncertainty_min_simulations: the rank stands, no interval,
    and the report says why."""
    year = demo_platform.check_year
    release = make("annual_few_simulations", [
        "update pub_health_index set uncertainty_simulations = 20 "
        f"where area_code = '{FIRST_CITY['area_code']}' and period_year = {year}"], str(year))
    out = tmp_path / "annual"
    write(demo_platform, "annual", str(year), release, out)
    city = text_of(next(out.glob(f"城市体检报告_{FIRST_CITY['area_code']}_*.html")))
    name = FIRST_CITY["area_name_zh"]
    assert zh(f"{name}{year}年不确定性分析仅有20次模拟(少于100次),"
              "不给出指数与排名的区间。") in city
    assert "排名第" in headline(city)
    assert "区间" not in headline(city) and "稳定在第" not in headline(city)


def test_annual_report_of_a_city_whose_rank_is_withheld(
        demo_platform: DemoPlatform, make, tmp_path: Path) -> None:
    """A city below the rank's indicator coverage: its index, no rank, and the reason;
    the other cities are ranked among the cities that take part."""
    year = demo_platform.check_year
    reason = "指标覆盖率不足90%，不参与排名"
    release = make("annual_rank_withheld", [
        "update pub_health_index set rank_in_province = null, rank_p05 = null, "
        f"rank_p95 = null, rank_median = null, rank_withheld_reason = '{reason}' "
        f"where area_code = '{SECOND_CITY['area_code']}' and period_year = {year}"], str(year))
    out = tmp_path / "annual"
    write(demo_platform, "annual", str(year), release, out)
    city = text_of(next(out.glob(f"城市体检报告_{SECOND_CITY['area_code']}_*.html")))
    assert zh(f"{SECOND_CITY['area_name_zh']}{year}年无全省排名({reason})。") in city
    assert "排名第" not in city and "不作排名" in headline(city)
    first = text_of(next(out.glob(f"城市体检报告_{FIRST_CITY['area_code']}_*.html")))
    assert f"在全省参与排名的{len(CITIES) - 1}个设区市中排名第" in first


def test_annual_report_on_the_last_year_only_names_its_year(
        demo_platform: DemoPlatform, source: Path, make, tmp_path: Path) -> None:
    year = demo_platform.check_year
    release = make("annual_one_year", only_year(source, year), str(year))
    out = tmp_path / "annual"
    write(demo_platform, "annual", str(year), release, out)
    city = text_of(next(out.glob(f"城市体检报告_{FIRST_CITY['area_code']}_*.html")))
    assert zh(f"本报告依据发布版本中{year}年的数据;该版本含{year}年的城市健康指数。") in city


def test_annual_map_shows_a_county_without_index_as_no_data(
        demo_platform: DemoPlatform, make, tmp_path: Path) -> None:
    """A county whose index is NULL: the city's map is still drawn, the county hatched
    as 无数据 and named in the gaps; its row of the county table shows "—"."""
    year = demo_platform.check_year
    county = next(c for c in COUNTIES if c["city_code"] == FIRST_CITY["area_code"])
    release = make("annual_null_county", [
        "update pub_health_index set health_index = null "
        f"where area_code = '{county['area_code']}' and period_year = {year}"], str(year))
    out = tmp_path / "annual"
    index = write(demo_platform, "annual", str(year), release, out)
    city = text_of(next(out.glob(f"城市体检报告_{FIRST_CITY['area_code']}_*.html")))
    said = zh(f"{county['area_name_zh']}{year}年城市健康指数缺失,分布图中以灰色斜线(无数据)表示。")
    assert said in city and GAPS in city
    assert city.count(MAP) == 2  # the counties' and the problem objects'
    assert f"<td>{county['area_name_zh']}</td><td>{county['area_code']}</td>" \
           '<td class="num">—</td>' in city
    assert zh(f"1个县(市、区){year}年城市健康指数缺失,分布图中以灰色斜线(无数据)表示。") in index
    assert index.count(MAP) == 2 + 8 + 1  # index of cities, counties; dimensions; problems
    other = text_of(next(out.glob(f"城市体检报告_{SECOND_CITY['area_code']}_*.html")))
    assert zh("(无数据)表示") not in other and other.count(MAP) == 2


@pytest.mark.parametrize("back", [0, 1])
def test_annual_report_states_rank_for_two_years(
        demo_platform: DemoPlatform, source: Path, tmp_path: Path, back: int) -> None:
    """The full demo: the check year and the year before, each with its own rank."""
    year = demo_platform.check_year - back
    out = tmp_path / "annual"
    index = write(demo_platform, "annual", str(year), source, out)
    [(name, value, rank)] = published(
        source, "select area_name_zh, health_index, rank_in_province from pub_health_index "
        "where area_code = ? and period_year = ?", [FIRST_CITY["area_code"], year])
    city = text_of(next(out.glob(f"城市体检报告_{FIRST_CITY['area_code']}_*.html")))
    assert f"{name}{year}年度城市体检报告" in city
    assert f"<b>{value:,.1f}</b>" in city
    assert f"在全省{len(CITIES)}个设区市中排名第<b>{rank}</b>" in city
    assert f"本报告依据发布版本中{year}年的数据" in city
    assert GAPS not in city and GAPS not in index
    # the counties' map, the problem objects' (both years are under the four levels), the
    # radar, the province's bars
    assert city.count(IMAGE) == 4
    # the index of cities and of counties, the eight dimensions, the counties' problems
    assert city.count(MAP) == 2 and index.count(MAP) == 2 + 8 + 1
    assert zh("(无数据)表示") not in city  # every county of the year has its index


# -- the monthly dispatch --------------------------------------------------------------------

def test_monthly_dispatch_without_the_months_registers(
        demo_platform: DemoPlatform, make, tmp_path: Path) -> None:
    """No task or project register loaded for the month: a page, not a ValueError."""
    month = demo_platform.month
    year, number = (int(x) for x in month.split("-"))
    release = make("monthly_no_registers", [
        f"delete from pub_task_progress_monthly where period = '{month}'",
        f"delete from pub_project_progress_monthly where period = '{month}'"], month)
    text = write(demo_platform, "monthly", month, release, tmp_path)
    assert zh(f"发布版本中无{year}年{number}月的任务进度数据(当月任务台账未入库)") in text
    assert zh(f"发布版本中无{year}年{number}月的项目进度数据(当月项目台账未入库)") in text
    assert zh(f"发布版本含调度数据的月份:{year}年1—{number - 1}、{number + 1}—12月") in text
    assert "本月无滞后任务" not in text and "本月无逾期或滞后项目" not in text
    assert "<th>责任部门</th>" not in text


def test_monthly_dispatch_on_empty_marts(
        demo_platform: DemoPlatform, make, tmp_path: Path) -> None:
    month = demo_platform.month
    release = make("monthly_empty", [
        "delete from pub_task_progress_monthly", "delete from pub_project_progress_monthly",
        "update pub_problem_list set monitored_period = null, is_slipping = null"], month)
    text = write(demo_platform, "monthly", month, release, tmp_path)
    assert "发布版本中没有任何月份的任务、项目调度数据" in text
    assert "无法判断是否出现预警" in text
    assert IMAGE not in text


@pytest.mark.parametrize("month", ["07", "03"])
def test_monthly_dispatch_on_full_data(
        demo_platform: DemoPlatform, source: Path, tmp_path: Path, month: str) -> None:
    period = f"{demo_platform.check_year}-{month}"
    text = write(demo_platform, "monthly", period, source, tmp_path)
    delayed, total = published(
        source, "select count(*) filter (where is_delayed), count(*) "
        "from pub_task_progress_monthly where period = ?", [period])[0]
    assert f"进度滞后 <b>{delayed}</b> 项次" in text and f"/{total} 项次" in text
    assert f"本报告依据{demo_platform.check_year}年{int(month)}月的任务台账和项目台账数据" in text
    assert GAPS not in text and IMAGE in text


# -- the quarterly bulletin ------------------------------------------------------------------

def test_quarterly_bulletin_without_its_quarter(
        demo_platform: DemoPlatform, make, tmp_path: Path) -> None:
    quarter = demo_platform.quarter
    release = make("quarterly_none", [
        f"delete from pub_quarterly_bulletin where period = '{quarter}'"], quarter)
    text = write(demo_platform, "quarterly", quarter, release, tmp_path)
    year, q = quarter.split("-Q")
    assert zh(f"发布版本中无{year}年第{q}季度的通报数据,不作排名,不点名。") in text
    assert_no_claims(text)
    assert IMAGE not in text


def test_quarterly_bulletin_with_few_cities_never_names_one_twice(
        demo_platform: DemoPlatform, make, tmp_path: Path) -> None:
    quarter = demo_platform.quarter
    release = make("quarterly_three", [
        f"delete from pub_quarterly_bulletin where period = '{quarter}' "
        f"and city_code not in ({', '.join(repr(c['area_code']) for c in CITIES[:3])})",
        "update pub_quarterly_bulletin set task_progress_score = null, parts_scored = 2"],
        quarter)
    text = write(demo_platform, "quarterly", quarter, release, tmp_path)
    leaders, laggards = headline(text).split("排名靠后")
    named = re.findall(r"<b>(.*?)</b>", leaders) + re.findall(r"<b>(.*?)</b>", laggards)
    assert len(named) == 2 and named[0] != named[1]
    assert zh("本季度参与排名的设区市仅3个,前后各点名1个。") in text
    assert zh("本季度各设区市均无任务进度得分(数据缺失),综合得分不含该部分。") in text


@pytest.mark.parametrize("quarter", [2, 3])
def test_quarterly_bulletin_names_leaders_for_two_quarters(
        demo_platform: DemoPlatform, source: Path, tmp_path: Path, quarter: int) -> None:
    period = f"{demo_platform.check_year}-Q{quarter}"
    text = write(demo_platform, "quarterly", period, source, tmp_path)
    ranking = [name for (name,) in published(
        source, "select city_name_zh from pub_quarterly_bulletin where period = ? "
        "order by rank_in_province, city_code", [period])]
    leaders, laggards = headline(text).split("排名靠后")
    assert all(name in leaders for name in ranking[:3])
    assert all(name in laggards for name in ranking[-3:])
    assert f"本报告依据{demo_platform.check_year}年第{quarter}季度的通报数据" in text
    assert GAPS not in text
    assert text.count(MAP) == 1  # the cities' warnings


# -- every writer on empty marts -------------------------------------------------------------

EMPTY = {
    "annual": ["pub_health_index", "pub_indicator_value", "pub_diagnosis", "pub_early_warning",
               "pub_satisfaction", "pub_reconciliation", "pub_problem_history", "pub_recheck"],
    "monthly": ["pub_task_progress_monthly", "pub_project_progress_monthly", "pub_problem_list"],
    "quarterly": ["pub_quarterly_bulletin", "pub_early_warning"],
    "five_year": ["pub_health_index", "pub_index_trajectory", "pub_five_year_assessment",
                  "pub_dimension_correlation"],
}


@pytest.mark.parametrize("kind", sorted(EMPTY))
def test_every_writer_survives_empty_marts(
        demo_platform: DemoPlatform, make, tmp_path: Path, kind: str) -> None:
    period = {"annual": str(demo_platform.check_year), "monthly": demo_platform.month,
              "quarterly": demo_platform.quarter, "five_year": demo_platform.plan_label}[kind]
    release = make(f"empty_{kind}", [f"delete from {t}" for t in EMPTY[kind]], period)
    text = write(demo_platform, kind, period, release, tmp_path)
    assert GAPS in text and "数据缺失说明" in text
    assert_no_claims(text)
    assert IMAGE not in text


def test_a_period_outside_the_release_is_refused(
        demo_platform: DemoPlatform, tmp_path: Path, source: Path) -> None:
    """Asking a release for a year it cannot hold is a wrong release, not thin data."""
    first = demo_platform.years[0]
    with demo_platform.active():
        with pytest.raises(ValueError, match="does not hold"):
            writer("annual")(str(first - 1), source, tmp_path)
        with pytest.raises(ValueError, match="does not hold"):
            writer("quarterly")(f"{demo_platform.check_year + 1}-Q1", source, tmp_path)
