"""The four-level check (住房 · 小区(社区) · 街区 · 城区, 2024 on) in a city's annual report.

From the published views of the object registers: the city's score per level, the
rectification of the problems found on its objects, a map of its districts with each
problem object as a point coloured by its treatment status, and the object-level problem
list (the whole list is the workbook's 四级体检问题清单 sheet). A year before the city's
objects were checked, or a release without these views, says so instead.
"""

from __future__ import annotations

import duckdb

from cityhealth.reports import maps
from cityhealth.reports.coverage import MIN_RANKED, esc_list, gap, missing, tables
from cityhealth.reports.html import esc, fmt, fmt_measure, table

VIEWS = ("pub_level_score", "pub_object_problem_list", "pub_rectification")
LIST_ROWS = 20  # problems listed on the page; the workbook holds them all
# treatment status -> (legend label, colour); worst first: an object with several
# problems is drawn in the colour of its least advanced one
STATUS_POINTS = [
    maps.PointClass("untreated", "未列入整治台账", "#d7301f"),
    maps.PointClass("listed", "已列入整治清单", "#fc8d59"),
    maps.PointClass("in_progress", "整治中", "#4575b4"),
    maps.PointClass("rectified", "已整改", "#1a9850"),
]
WORKBOOK_SHEET = "四级体检问题清单"


def has_views(con: duckdb.DuckDBPyConnection) -> bool:
    return set(VIEWS) <= tables(con)


def section(con: duckdb.DuckDBPyConnection, city_code: str, name: str, year: int,
            gaps: list[str], workbook_zh: str) -> str:
    """The report's section on the four-level check of ``year`` ("" when the release
    has no four-level views at all)."""
    if not has_views(con):
        return ""
    levels = con.execute(
        "select level_code, level_name_zh, level_score, indicators_scored, "
        "indicators_expected from pub_level_score where area_code = ? and period_year = ? "
        "order by level_sort_order", [city_code, year]).fetchall()
    if not levels:
        if not _checked_in_levels(con, city_code, year):
            return ""
        checked = [y for (y,) in con.execute(
            "select distinct period_year from pub_level_score order by 1").fetchall()]
        held = f"发布版本中的四级体检年份为{'、'.join(map(str, checked))}年" if checked else \
            "发布版本中无四级体检数据"
        return gap(f"{year}年本市无住房、小区(社区)、街区、城区四级体检数据({held})。")
    means = {code: (mean, n) for code, mean, n in con.execute(
        "select level_code, avg(level_score), count(level_score) from pub_level_score "
        "where area_level = 'city' and period_year = ? group by level_code",
        [year]).fetchall()}
    satisfaction = _satisfaction(con, city_code, year)
    level_rows = []
    for code, level_zh, score, scored, expected in levels:
        mean, n = means.get(code, (None, 0))
        level_rows.append([esc(level_zh), fmt(score),
                           fmt(mean) if n >= MIN_RANKED else "—",
                           f"{fmt(scored, 0)}/{fmt(expected, 0)}",
                           satisfaction.get(code, "—")])
    if any(score is None for _c, _l, score, *_ in levels):
        gaps.append(f"{year}年四级体检部分层级得分缺失(指标数据不全),以“—”表示。")
    html_text = ("<p>自2024年起,城市体检按住房、小区(社区)、街区、城区(城市)四个层级开展,"
                 "问题逐栋、逐小区、逐街区查找定位,并纳入整治清单、项目和复查。</p>"
                 + table(["层级", "本市得分", "全省设区市平均", "参评指标",
                          "居民满意度(95%置信区间)"], level_rows, {1, 2, 3, 4}))
    html_text += _rectification(con, city_code, year)
    html_text += _map(con, city_code, name, year, gaps)
    html_text += _problems(con, city_code, year, workbook_zh)
    return html_text


def _satisfaction(con: duckdb.DuckDBPyConnection, city_code: str, year: int) -> dict[str, str]:
    """Level (``overall`` for the four together) -> the city's satisfaction with its
    interval, from the survey's level questions (releases before them: none)."""
    if "pub_satisfaction_by_level" not in tables(con):
        return {}
    rows = con.execute(
        "select case when is_overall then 'overall' else level_code end, "
        "satisfaction_score, ci_low, ci_high from pub_satisfaction_by_level "
        "where area_code = ? and period_year = ?", [city_code, year]).fetchall()
    return {code: f"{fmt(score)}({fmt(low)}–{fmt(high)})"
            for code, score, low, high in rows if not missing(score)}


def _checked_in_levels(con: duckdb.DuckDBPyConnection, city_code: str, year: int) -> bool:
    """Whether ``year``'s primary framework (pub_index_trajectory) is one the four-level
    views hold: then a city without rows there is a gap, not a year before the levels."""
    if "framework_code" not in {c for (c,) in con.execute(
            "select column_name from (describe pub_index_trajectory)").fetchall()}:
        return False
    return bool(con.execute(
        "select count(*) from pub_index_trajectory t where t.period_year = ? "
        "and t.area_code = ? and t.framework_code in "
        "(select framework_code from pub_level_score)", [year, city_code]).fetchone()[0])


def _rectification(con: duckdb.DuckDBPyConnection, city_code: str, year: int) -> str:
    rows = con.execute(
        "select level_name_zh, problems_found, problems_rectified, problems_in_progress, "
        "problems_listed, problems_untreated, rectification_rate_pct, recheck_passed, "
        "recheck_failed, recheck_pass_rate_pct from pub_rectification "
        "where area_code = ? and period_year = ? "
        "order by level_code = 'all', level_code", [city_code, year]).fetchall()
    if not rows:
        return gap(f"{year}年本市无四级体检问题的整治记录。")
    body = [[esc(level), fmt(found, 0), fmt(done, 0), fmt(going, 0), fmt(listed, 0),
             fmt(none, 0), "—" if missing(rate) else f"{fmt(rate)}%",
             # no re-check yet (it is the next year's check of the same objects)
             "待复查" if missing(pass_rate) else f"{fmt(passed, 0)}/{fmt(failed, 0)}"]
            for level, found, done, going, listed, none, rate, passed, failed, pass_rate
            in rows]
    return ("<h3>问题整治情况</h3>"
            + table(["层级", "问题数", "已整改", "整治中", "已列入整治清单", "未列入整治台账",
                     "整改率", "复查销号/未通过"], body, {1, 2, 3, 4, 5, 6})
            + '<p class="note">整改率为已整改问题占本年查出问题的比例;复查在下一年度体检中'
              "对同一对象进行,问题不再出现为销号。</p>")


def _map(con: duckdb.DuckDBPyConnection, city_code: str, name: str, year: int,
         gaps: list[str]) -> str:
    """The counties where the city's objects were checked, each problem object a point."""
    rows = con.execute(
        "select county_code, object_id, longitude, latitude, "
        "list(coalesce(treatment_status, 'untreated')) from pub_object_problem_list "
        "where city_code = ? and period_year = ? and longitude is not null "
        "and latitude is not null group by all", [city_code, year]).fetchall()
    if not rows:
        return ""
    order = [c.key for c in STATUS_POINTS]
    points = [(lon, lat, min(statuses, key=lambda s: order.index(s) if s in order else 0))
              for _county, _obj, lon, lat, statuses in rows]
    counties = [c for c in maps.counties_of(city_code) if c in {r[0] for r in rows}]
    unplaced = con.execute(
        "select count(distinct object_id) from pub_object_problem_list where city_code = ? "
        "and period_year = ? and (longitude is null or latitude is null)",
        [city_code, year]).fetchone()[0]
    if unplaced:
        gaps.append(f"{unplaced}个存在问题的对象无坐标,未在问题对象分布图中标出。")
    figure = maps.point_map(points, counties, f"{name}{year}年 四级体检问题对象分布",
                            "整治状态(对象数)", STATUS_POINTS)
    names = esc_list(maps.name_of(c) for c in counties)
    return (f"<h3>问题对象分布</h3><p>{names}查出问题的住房、小区(社区)、街区,"
            "按其问题中最靠前的整治状态着色。</p>"
            f'<div class="charts">{maps.map_img(figure, "四级体检问题对象分布图")}</div>'
            f"{maps.MAP_NOTE}")


def _problems(con: duckdb.DuckDBPyConnection, city_code: str, year: int,
              workbook_zh: str) -> str:
    total = con.execute(
        "select count(*) from pub_object_problem_list where city_code = ? and period_year = ?",
        [city_code, year]).fetchone()[0]
    if not total:
        return f"<p>{year}年本市四级体检未查出问题。</p>"
    rows = con.execute(
        "select problem_id, coalesce(object_name, object_id), level_name_zh, "
        "county_name_zh, street_name, indicator_name_zh, finding_value, unit_zh, "
        "treatment_status_zh, project_id, recheck_outcome_zh "
        "from pub_object_problem_list where city_code = ? and period_year = ? "
        "order by case treatment_status when 'rectified' then 3 when 'in_progress' then 2 "
        "when 'listed' then 1 else 0 end, level_code, problem_id limit ?",
        [city_code, year, LIST_ROWS]).fetchall()
    body = [[esc(pid), esc(obj), esc(level), esc(county) + ("" if missing(street) else
                                                         " " + esc(street)),
             esc(indicator), f"{fmt_measure(value)}{esc(unit)}", esc(status),
             "—" if missing(project) else esc(project), esc(recheck)]
            for pid, obj, level, county, street, indicator, value, unit, status, project,
            recheck in rows]
    shown = (f"以下列出其中{len(rows)}个(未列入整治台账的在前),"
             f"全部问题见{workbook_zh}“{WORKBOOK_SHEET}”表。" if total > len(rows) else "")
    return (f"<h3>问题清单(对象级)</h3><p>{year}年本市四级体检查出问题 <b>{fmt(total, 0)}</b> 个。"
            f"{shown}</p>"
            + table(["问题编号", "对象", "层级", "区县、街道", "问题", "数值", "整治状态",
                     "整治项目", "复查"], body, {5}))
