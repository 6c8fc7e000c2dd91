"""Every report, written from the demo's published releases, read as an official would.

The checks are on content (the city's name and index, a diagnosed problem, leaders and
laggards, overdue items, a chart image), on the workbooks opening with their sheets,
and on the files being self-contained: no reference to anything outside the file.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import duckdb
import pytest
from fontTools.ttLib import TTFont
from openpyxl import load_workbook

from cityhealth.core import settings as settings_module
from cityhealth.core.reference import seed_rows
from cityhealth.reports import KINDS, writer
from cityhealth.reports.charts import cjk_font_path
from cityhealth.reports.html import fmt_measure
from cityhealth.reports.html import zh_typography as zh
from tests.demo_platform import DemoPlatform
from tests.geography import CITIES, COUNTIES, FIRST_CITY, PROVINCE

pytestmark = pytest.mark.slow

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//|file:)|url\(\s*["']?"""
                      r"""\s*(?:https?:|//)|@import""", re.IGNORECASE)


def published(platform: DemoPlatform, period: str, sql: str, params: list) -> list[tuple]:
    con = duckdb.connect(str(platform.releases[period] / "published.duckdb"), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def written(demo_platform: DemoPlatform, tmp_path_factory: pytest.TempPathFactory):
    """Every kind of report for its demo period, into a folder of its own."""
    out = tmp_path_factory.mktemp("reports")
    periods = {"annual": str(demo_platform.check_year), "monthly": demo_platform.month,
               "quarterly": demo_platform.quarter, "five_year": demo_platform.plan_label}
    assert set(periods) == set(KINDS)
    with demo_platform.active(), pytest.MonkeyPatch.context() as patch:
        # the annual city pages shared between this process and a helper, whatever the
        # machine's cores
        patch.setenv("CITYHEALTH_REPORT_WORKERS", "2")
        settings_module.settings.cache_clear()
        from cityhealth.reports.annual import write_annual_reports
        from cityhealth.reports.five_year import write_five_year_report
        from cityhealth.reports.monthly import write_monthly_dispatch
        from cityhealth.reports.quarterly import write_quarterly_bulletin

        sets = {
            # each city's Word and PDF written beside its page, by the process that
            # wrote the page, as the DAGs' write_reports does
            "annual": write_annual_reports(demo_platform.check_year,
                                           demo_platform.releases[periods["annual"]],
                                           out / "annual", ("docx", "pdf")),
            "monthly": write_monthly_dispatch(periods["monthly"],
                                              demo_platform.releases[periods["monthly"]],
                                              out / "monthly"),
            "quarterly": write_quarterly_bulletin(periods["quarterly"],
                                                  demo_platform.releases[periods["quarterly"]],
                                                  out / "quarterly"),
            "five_year": write_five_year_report(periods["five_year"],
                                                demo_platform.releases[periods["five_year"]],
                                                out / "five_year"),
        }
    return sets


def html_files(written) -> list[Path]:
    return [p for s in written.values() for p in [*s.files, s.index] if p.suffix == ".html"]


def test_every_report_is_self_contained(written) -> None:
    files = html_files(written)
    assert len(files) >= len(CITIES) + 1 + 3
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert '<meta charset="utf-8">' in text
        found = EXTERNAL.search(text)
        assert found is None, f"{path.name} references {text[found.start():found.end() + 40]}"
        assert "<script" not in text  # nothing to fetch, nothing to run


def test_external_references_are_caught() -> None:
    """The check above can fail: a CDN stylesheet, an image link, a font URL."""
    for bad in ('<link href="https://cdn.example.com/a.css">', "<img src=//x/y.png>",
                "<style>@font-face{src:url('http://f/x.woff')}</style>"):
        assert EXTERNAL.search(bad), bad


def test_annual_report_of_a_city(demo_platform: DemoPlatform, written) -> None:
    year = str(demo_platform.check_year)
    [(name, index, rank, low, high, index_low, index_high)] = published(
        demo_platform, year,
        "select area_name_zh, health_index, rank_in_province, rank_p05, rank_p95, "
        "index_p05, index_p95 "
        "from pub_health_index where area_code = ? and period_year = ?",
        [FIRST_CITY["area_code"], int(year)])
    problem = published(
        demo_platform, year,
        "select description_zh from pub_diagnosis where area_code = ? "
        "and period_year = ? order by dimension_sort_order, indicator_code limit 1",
        [FIRST_CITY["area_code"], int(year)])[0][0]
    path = next(p for p in written["annual"].files if FIRST_CITY["area_code"] in p.name)
    text = path.read_text(encoding="utf-8")
    assert f"{name}{year}年度城市体检报告" in text
    assert f"{PROVINCE['area_name_zh']}城市体检评估" in text
    assert f"<b>{index:,.1f}</b>" in text and f"排名第<b>{rank}</b>" in text
    assert (f"第 {low}–{high} 位" if low != high else f"稳定在第 {low} 位") in text
    assert f"指数 90% 区间 {index_low:,.1f}–{index_high:,.1f}" in text
    assert problem in text
    for section in ("八个维度得分", "未达标指标", "问题诊断", "预警", "居民满意度",
                    "第三方评估核对", "问题清单与整治复查", "附录"):
        assert section in text, section
    # counties' map, the four-level check's problem objects, radar, ranking
    assert text.count('src="data:image/png;base64,') == 4
    assert "95% 置信区间" in text


def attainment(attained: int, scored: int, pct: float, at_100: int, unit: str = "项") -> str:
    return f"达标 {attained}/{scored} {unit},{pct:.1f}%;满分 {at_100} {unit}"


def test_annual_headline_and_index_page_state_attainment_beside_the_index(
        demo_platform: DemoPlatform, written) -> None:
    """Every city's index is read with how many of its scored indicators attain their
    standard, their share and how many score 100, in the report's headline and on the
    year's index page, as pub_health_index publishes them."""
    year = demo_platform.check_year
    rows = published(
        demo_platform, str(year),
        "select area_code, health_index, indicators_attained, indicators_scored, "
        "attainment_pct, indicators_at_100 from pub_health_index "
        "where area_level = 'city' and period_year = ?", [year])
    assert len(rows) == len(CITIES)
    index_page = written["annual"].index.read_text(encoding="utf-8")
    for code, index, *figures in rows:
        assert figures[0] < figures[1], "a city attaining everything would test nothing"
        path = next(p for p in written["annual"].files if code in p.name)
        headline = re.search(r'<div class="headline">(.*?)</div>',
                             path.read_text(encoding="utf-8"), re.S)[1]
        assert zh(f"城市健康指数 <b>{index:,.1f}</b>({attainment(*figures)})") in headline, code
        assert zh(attainment(*figures)) in index_page, code
    assert "指标达标情况" in index_page


def test_annual_index_and_workbook(demo_platform: DemoPlatform, written) -> None:
    report_set = written["annual"]
    htmls = [p for p in report_set.files if p.suffix == ".html"]
    assert sorted(demo_platform.cities) == sorted(c["area_code"] for c in CITIES)
    assert len(htmls) == len(CITIES)
    index = report_set.index.read_text(encoding="utf-8")
    assert f"{PROVINCE['area_name_zh']}{demo_platform.check_year}年度城市体检报告" in index
    assert all(f'href="{p.name}"' in index for p in htmls)
    [workbook] = [p for p in report_set.files if p.suffix == ".xlsx"]
    book = load_workbook(workbook, read_only=True)
    assert {"城市健康指数", "指标数据", "问题诊断", "预警", "居民满意度", "第三方核对"} <= set(
        book.sheetnames)
    rows = list(book["城市健康指数"].iter_rows(values_only=True))
    assert rows[1][0] == "area_code"
    assert {r[1] for r in rows[2:]} >= {c["area_name_zh"] for c in CITIES}


def test_monthly_dispatch_names_delayed_items_by_department(
        demo_platform: DemoPlatform, written) -> None:
    month = demo_platform.month
    delayed = published(
        demo_platform, month,
        "select count(*) filter (where is_delayed), count(*) from pub_task_progress_monthly "
        "where period = ?", [month])[0]
    late = published(
        demo_platform, month,
        "select project_id, project_name from pub_project_progress_monthly "
        "where period = ? and is_overdue order by project_id limit 1", [month])
    text = written["monthly"].index.read_text(encoding="utf-8")
    assert f"进度滞后 <b>{delayed[0]}</b> 项次" in text and f"/{delayed[1]} 项次" in text
    assert "住房和城乡建设局" in text  # departments by name, from the reference data
    slipping = published(demo_platform, month,
                         "select problem_id from pub_problem_list where is_slipping "
                         "order by problem_id limit 1", [])
    assert "在治问题监测预警" in text and (not slipping or slipping[0][0] in text)
    assert delayed[0] > 0 and late, "the demo month has delayed tasks and an overdue project"
    assert late[0][0] in text and late[0][1] in text
    assert 'src="data:image/png;base64,' in text
    book = load_workbook(next(p for p in written["monthly"].files if p.suffix == ".xlsx"))
    assert book.sheetnames == ["任务进度", "项目进度"]


def test_quarterly_bulletin_names_leaders_and_laggards(
        demo_platform: DemoPlatform, written) -> None:
    quarter = demo_platform.quarter
    ranking = [name for (name,) in published(
        demo_platform, quarter,
        "select city_name_zh from pub_quarterly_bulletin where period = ? "
        "order by rank_in_province", [quarter])]
    text = written["quarterly"].index.read_text(encoding="utf-8")
    headline = re.search(r'<div class="headline">(.*?)</div>', text, re.S)[1]
    leaders, laggards = headline.split("排名靠后")
    assert all(name in leaders for name in ranking[:3])
    assert all(name in laggards for name in ranking[-3:])
    assert "本季度监测指标" in text
    assert 'class="yellow"' in text or 'class="red"' in text
    assert 'src="data:image/png;base64,' in text


def test_five_year_report_shows_trajectories_and_attainment(
        demo_platform: DemoPlatform, written) -> None:
    text = written["five_year"].index.read_text(encoding="utf-8")
    start, end = demo_platform.plan_period
    assert f"{PROVINCE['area_name_zh']}城市体检{start}—{end}年五年评估报告" in text
    names = [name for (name,) in published(
        demo_platform, demo_platform.plan_label,
        "select distinct area_name_zh from pub_index_trajectory where area_level = 'city'", [])]
    assert sorted(names) == sorted(c["area_name_zh"] for c in CITIES)
    assert all(name in text for name in names)
    # index lines, the map of the change, dimension lines
    assert text.count('src="data:image/png;base64,') == 3
    assert "期末目标达成" in text and "达标率最低的指标" in text
    # the cities' attainment beside the mean index of the baseline and the end year
    headline = re.search(r'<div class="headline">(.*?)</div>', text, re.S)[1]
    for year in (start - 1, end):
        [figures] = published(
            demo_platform, demo_platform.plan_label,
            "select sum(indicators_attained), sum(indicators_scored), "
            "100.0 * sum(indicators_attained) / sum(indicators_scored), "
            "sum(indicators_at_100) from pub_health_index "
            "where area_level = 'city' and period_year = ?", [year])
        assert zh(f"({year}年,各市合计{attainment(*figures, unit='项次')})") in headline, year


def test_five_year_report_says_how_much_of_the_change_is_method_change(
        demo_platform: DemoPlatform, written) -> None:
    """The change under one method and the method's part, as the release holds them,
    and the overlap warning when dimension pairs exceed the threshold."""
    text = written["five_year"].index.read_text(encoding="utf-8")
    start, end = demo_platform.plan_period
    period = demo_platform.plan_label
    (naive, real, cities), = published(
        demo_platform, period,
        "select avg(index_change_from_baseline), avg(index_change_from_baseline_current_method), "
        "count(*) from pub_index_trajectory where area_level = 'city' and period_year = ?",
        [end])
    assert zh(f"按{end}年的指标体系和维度权重重算各年指数(同一方法),{start - 1}—{end}年"
              f"{cities}个设区市指数平均变化 <b>{real:+.1f}</b>,各年自身口径为 "
              f"<b>{naive:+.1f}</b>,其中 <b>{naive - real:+.1f}</b> 来自指标体系和权重的调整"
              ) in text
    assert "<th>同一方法下变化</th><th>其中方法调整</th>" in text
    (over, pairs), = published(
        demo_platform, period,
        "select count(*) filter (where is_over_threshold), count(*) "
        "from pub_dimension_correlation where area_level = 'city' and period_year = ?", [end])
    assert over > 0  # the demo's dimensions overlap across the cities
    assert zh(f"维度重叠提示:{end}年设区市间{over}对维度(共{pairs}对)得分相关系数超过0.9") in text


def test_charts_font_draws_every_chinese_name_the_reports_use(
        demo_platform: DemoPlatform, written) -> None:
    """No empty boxes: the embedded CJK font has a glyph for every character shown."""
    cmap = TTFont(str(cjk_font_path()), fontNumber=0).getBestCmap()
    shown = set("".join(path.read_text(encoding="utf-8") for path in html_files(written)))
    missing = sorted(ch for ch in shown if ord(ch) > 0x2E80 and ord(ch) not in cmap)
    assert not missing, f"no glyph for {''.join(missing)}"


def test_writers_refuse_a_period_the_release_does_not_hold(
        demo_platform: DemoPlatform, tmp_path: Path) -> None:
    with demo_platform.active(), pytest.raises(ValueError, match="no task or project"):
        writer("monthly")("2019-07", demo_platform.releases[demo_platform.month], tmp_path)
    with pytest.raises(ValueError, match="unknown report kind"):
        writer("weekly")


def test_a_count_judged_per_million_residents_shows_its_scale_beside_the_standard(
        demo_platform: DemoPlatform, written) -> None:
    """TC01 and TC07 are counts whose standard is per million residents: the report shows
    the count as delivered, what it comes to per million beside it, and the standard with
    that unit, never a count of 15 beside a standard of ≤ 2 as if they were comparable."""
    year = demo_platform.check_year
    rows = published(
        demo_platform, str(year),
        "select indicator_code, value, scored_value, score_unit_zh, standard_value "
        "from pub_indicator_value where area_code = ? and period_year = ? "
        "and score_unit_zh <> unit_zh and value is not null order by indicator_code",
        [FIRST_CITY["area_code"], year])
    assert {code for code, *_ in rows} == {"TC01", "TC07"}, rows
    path = next(p for p in written["annual"].files if FIRST_CITY["area_code"] in p.name)
    text = path.read_text(encoding="utf-8")
    for code, value, scored, unit, standard in rows:
        row = re.search(rf"<tr><td>{code}</td>(.*?)</tr>", text, re.S)[1]
        assert f"{fmt_measure(value)}（折合{fmt_measure(scored)}{unit}）" in row, (code, row)
        assert f"≤{fmt_measure(standard)}{unit}" in row, (code, row)


MAP = re.compile(r'<img class="map" alt="([^"]+)" src="data:image/png;base64,([^"]+)"')


def png_size(encoded: str) -> tuple[int, int]:
    """Width and height of a base64 PNG (its IHDR chunk)."""
    data = base64.b64decode(encoded)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_every_report_kind_draws_its_maps(demo_platform: DemoPlatform, written) -> None:
    """Every city report maps its counties (with the table of their index); the
    province's index page maps the cities and the counties by their index, the cities by
    each dimension and the counties by their problems; the quarterly bulletin the
    cities' warnings; the five-year report the cities' change over the period."""
    year = demo_platform.check_year
    county_index = dict(published(
        demo_platform, str(year), "select area_code, health_index from pub_health_index "
        "where area_level = 'county' and period_year = ?", [year]))
    assert len(county_index) == len(COUNTIES)
    for city in CITIES:
        path = next(p for p in written["annual"].files if city["area_code"] in p.name)
        text = path.read_text(encoding="utf-8")
        found = dict(MAP.findall(text))  # 2024 on also the four-level check's objects
        assert set(found) == {"所辖县(市、区)城市健康指数分布图", "四级体检问题对象分布图"}
        image = found["所辖县(市、区)城市健康指数分布图"]
        width, height = png_size(image)
        assert width > 400 and height > 300
        assert zh("专题示意图(非标准地图)") in text
        for county in (c for c in COUNTIES if c["city_code"] == city["area_code"]):
            code = county["area_code"]
            assert (f"<td>{county['area_name_zh']}</td><td>{code}</td>"
                    f'<td class="num">{county_index[code]:,.1f}</td>') in text, code
    index = written["annual"].index.read_text(encoding="utf-8")
    dimensions = [d["dimension_name_zh"] for d in sorted(
        seed_rows("ref_dimensions"), key=lambda d: int(d["sort_order"]))]
    assert [alt for alt, _ in MAP.findall(index)] == [
        "设区市城市健康指数分布图", "县(市、区)城市健康指数分布图",
        *(f"{name}维度得分分布图" for name in dimensions), "县(市、区)诊断问题数分布图"]
    quarterly = written["quarterly"].index.read_text(encoding="utf-8")
    assert [alt for alt, _ in MAP.findall(quarterly)] == ["预警分布图"]
    five_year = written["five_year"].index.read_text(encoding="utf-8")
    assert [alt for alt, _ in MAP.findall(five_year)] == ["城市健康指数变化分布图"]


def test_the_map_classes_state_their_bounds() -> None:
    """Round steps, the values inside, a change symmetric about zero, counts whole."""
    from cityhealth.reports.maps import classes_of

    bounds = classes_of([71.3, 84.2])
    assert [b.label for b in bounds] == ["70 至 75", "75 至 80", "80 至 85"]
    change = classes_of([-1.2, 3.4], "diverging")  # zero is a bound: no class spans it
    assert change[0].low <= -1.2 and change[-1].high >= 3.4
    assert any(b.low == 0 for b in change) and not any(b.low < 0 < b.high for b in change)
    assert [b.label for b in classes_of([1.2, 14.8], "diverging")] == [
        "0 至 +5", "+5 至 +10", "+10 至 +15"]
    assert [b.label for b in classes_of([0, 7], "count")] == ["0 至 1", "2 至 3", "4 至 5",
                                                                "6 至 7"]
    assert [b.label for b in classes_of([2, 3], "count")] == ["2", "3"]


def embedded_font(text: str) -> TTFont:
    match = re.search(r'@font-face\{font-family:"CityHealthCJK";'
                      r"src:url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", text)
    assert match, "no embedded font"
    return TTFont(io.BytesIO(base64.b64decode(match[1])))


def visible_text(text: str) -> str:
    body = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]*>", " ", body))


def test_every_page_embeds_a_font_with_a_glyph_for_each_of_its_characters(written) -> None:
    """A page reads on a machine with no Chinese font: each character shown (headings,
    tables, notes) has a glyph in the font subset the page carries, and the subset is
    small (the page's characters, not the whole font)."""
    full = len(TTFont(str(cjk_font_path()), fontNumber=0).getBestCmap())
    for path in html_files(written):
        text = path.read_text(encoding="utf-8")
        font = embedded_font(text)
        cmap = font.getBestCmap()
        shown = {ch for ch in visible_text(text) if not ch.isspace()}
        missing = sorted(ch for ch in shown if ord(ch) not in cmap)
        assert not missing, f"{path.name}: no glyph for {''.join(missing)}"
        assert len(cmap) < full / 20, (path.name, len(cmap))
        assert "CityHealthCJK" in re.search(r"body\{font-family:([^;]+);", text)[1]


def test_a_font_subset_lacks_what_its_page_does_not_show() -> None:
    """The glyph check can fail: a subset made for 城市 has no 健."""
    from cityhealth.reports.html import page

    cmap = embedded_font(page("城市", "<p>城市</p>")).getBestCmap()
    assert ord("城") in cmap and ord("市") in cmap and ord("A") in cmap
    assert ord("健") not in cmap


def test_the_release_boundaries_join_the_published_index_for_every_area(
        demo_platform: DemoPlatform) -> None:
    """Both boundary files of the annual release join pub_health_index on area_code:
    every area of the check year (the province, its cities, their counties) has exactly
    one outline, and no outline is left without its row."""
    import json

    year = demo_platform.check_year
    folder = demo_platform.releases[str(year)]
    index = dict(published(demo_platform, str(year),
                           "select area_code, area_level from pub_health_index "
                           "where period_year = ?", [year]))
    assert len(index) == 1 + len(CITIES) + len(COUNTIES)
    features = json.loads((folder / "boundaries.geojson").read_text(encoding="utf-8"))
    by_code = {f["properties"]["area_code"]: f for f in features["features"]}
    assert len(by_code) == len(features["features"]) == len(index)
    assert {c: f["properties"]["area_level"] for c, f in by_code.items()} == index
    [(joined, outlines)] = published(
        demo_platform, str(year),
        "select count(h.area_code), count(*) from read_parquet(?) b "
        "left join pub_health_index h on h.area_code = b.area_code and h.period_year = ?",
        [str(folder / "boundaries.parquet"), year])
    assert joined == outlines == len(index)


@pytest.fixture(scope="module")
def documents(written) -> dict[Path, list[Path]]:
    """Word and PDF beside every report page, as the DAGs' write_reports makes them: the
    annual city pages' by the annual writer (this process and a helper process, each
    beside the pages it wrote), the other pages' shared between this process and a
    helper process."""
    from cityhealth.reports.documents import write_documents

    pages = [p for kind, s in written.items() if kind != "annual"
             for p in s.files if p.suffix == ".html"]
    files = write_documents(pages, ("docx", "pdf"), workers=2)
    return {**written["annual"].documents,
            **{page: [f for f in files if f.parent == page.parent and f.stem == page.stem]
               for page in pages}}


def test_the_annual_writer_wrote_each_city_pages_documents_beside_it(written,
                                                                     documents) -> None:
    annual = written["annual"]
    pages = [p for p in annual.files if p.suffix == ".html"]
    assert len(pages) == len(CITIES)
    assert list(annual.documents) == pages  # in the order of the pages, none left out
    for page in pages:
        assert annual.documents[page] == [page.with_suffix(".docx"), page.with_suffix(".pdf")]
        assert all(f.stat().st_size > 0 for f in annual.documents[page])


def test_city_pages_are_the_same_whether_shared_among_processes_or_not(
        demo_platform: DemoPlatform, written, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Written by one process only, the city reports are those the shared run wrote."""
    year = demo_platform.check_year
    with demo_platform.active():
        monkeypatch.setenv("CITYHEALTH_REPORT_WORKERS", "1")
        settings_module.settings.cache_clear()
        from cityhealth.reports.annual import write_annual_reports

        alone = write_annual_reports(year, demo_platform.releases[str(year)], tmp_path)
    shared = written["annual"]
    assert [p.name for p in alone.files] == [p.name for p in shared.files]
    blob = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")
    for one, other in zip(alone.files, shared.files, strict=True):
        if one.suffix == ".html":
            mine, theirs = one.read_text(encoding="utf-8"), other.read_text(encoding="utf-8")
            # text, tables and the embedded font byte for byte; the charts' pixels may
            # differ with matplotlib state other tests of this process left behind
            assert blob.sub("PNG", mine) == blob.sub("PNG", theirs), one.name
            assert len(blob.findall(mine)) == len(blob.findall(theirs)) >= 1, one.name


def test_a_failing_documents_helper_names_its_page_and_stops(tmp_path: Path) -> None:
    from cityhealth.reports.documents import write_documents
    from cityhealth.reports.workers import HelperError

    good = tmp_path / "月度调度_2025-07.html"
    good.write_text("<html><head><title>测试</title></head><body><h1>测试</h1>"
                    "<p>内容</p></body></html>", encoding="utf-8")
    gone = tmp_path / "季度通报_2025-Q3.html"  # the helper's share: not there
    with pytest.raises(HelperError, match="季度通报_2025-Q3.html"):
        write_documents([good, gone], ("docx",), workers=2)
    assert good.with_suffix(".docx").is_file()  # this process's share was written


def test_every_report_page_has_word_and_pdf_beside_it(written, documents) -> None:
    from docx import Document
    from pypdf import PdfReader

    assert {p.parent.name for p in documents} == set(KINDS)
    for page, files in documents.items():
        assert sorted(f.suffix for f in files) == [".docx", ".pdf"], page.name
        assert all(f.parent == page.parent and f.stem == page.stem for f in files)
        title = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"))[1]
        word = Document(str(page.with_suffix(".docx")))
        assert word.paragraphs[0].text == html.unescape(title), page.name
        section = word.sections[0]
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
        pdf = PdfReader(str(page.with_suffix(".pdf")))
        box = pdf.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
        cover = pdf.pages[0].extract_text()
        assert html.unescape(title) in cover and "发布版本" in cover, page.name
        assert len(pdf.pages) >= 2 and f"2 / {len(pdf.pages)}" in pdf.pages[1].extract_text()


def test_city_report_documents_hold_the_city_and_its_index(
        demo_platform: DemoPlatform, written, documents) -> None:
    """The headline read back from Word, the city's name and index from the PDF text."""
    from docx import Document
    from pypdf import PdfReader

    year = demo_platform.check_year
    for city in CITIES[:3]:
        [(name, index)] = published(
            demo_platform, str(year), "select area_name_zh, health_index from "
            "pub_health_index where area_code = ? and period_year = ?",
            [city["area_code"], year])
        page = next(p for p in documents if city["area_code"] in p.name)
        word = Document(str(page.with_suffix(".docx")))
        headline = next(p.text for p in word.paragraphs if p.text.startswith("城市健康指数"))
        assert f"城市健康指数 {index:,.1f}" in headline and "排名第" in headline
        assert any(t.rows[0].cells[0].text == zh("县(市、区)") for t in word.tables)
        # the counties' map, the problem objects' map, the radar, the ranking
        assert len(word.inline_shapes) == 4
        text = "".join(p.extract_text() for p in PdfReader(str(page.with_suffix(".pdf"))).pages)
        assert f"{name}{year}年度城市体检报告" in text
        assert f"城市健康指数 {index:,.1f}" in text


_HALF_WIDTH_BESIDE_CHINESE = re.compile(
    r"[\u4e00-\u9fff][,;:?!()]|[,;:?!()][\u4e00-\u9fff]")


def test_report_pages_read_as_chinese_documents(written) -> None:
    """What an official reads: full-width punctuation in Chinese sentences, Chinese column
    headings, no internal table names, no pointer to a list the reader cannot find."""
    for path in html_files(written):
        markup = path.read_text(encoding="utf-8")
        markup = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", markup, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", markup)
        assert not _HALF_WIDTH_BESIDE_CHINESE.findall(text), (
            path.name, _HALF_WIDTH_BESIDE_CHINESE.findall(text)[:5])
        assert not re.search(r"\b(pub|fct|dim|int|stg)_[a-z_]+", text), path.name
        assert "Dimension" not in text and "见区县清单" not in text, path.name
    workbook = next(p for p in written["annual"].files if p.suffix == ".xlsx")
    assert "问题清单" in load_workbook(workbook, read_only=True).sheetnames
