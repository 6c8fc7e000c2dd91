"""城市体检报告 – the annual city health check report, one self-contained HTML per city.

Reads the published release only (what BI tools see), embeds its charts as
PNG data URIs and its CSS inline: the file opens on a machine with no network.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.core.reference import assessment_parameter, province, seed_frame
from cityhealth.core.settings import settings
from cityhealth.reports import charts, maps
from cityhealth.reports.coverage import (
    MIN_RANKED,
    attainment_zh,
    basis,
    esc_list,
    gap,
    gap_box,
    is_false,
    is_true,
    missing,
    number,
    require_period,
    whole,
    years_zh,
)
from cityhealth.reports.four_level import WORKBOOK_SHEET as FOUR_LEVEL_SHEET
from cityhealth.reports.four_level import has_views as four_level_views
from cityhealth.reports.four_level import section as section_four_level
from cityhealth.reports.html import (
    WARNING_ZH,
    ReportSet,
    esc,
    fmt,
    fmt_measure,
    page,
    release,
    table,
)
from cityhealth.reports.workers import Helper, helpers, print_result, shares
from cityhealth.reports.xlsx import write_workbook

NUMERALS_ZH = "一二三四五六七八九十"
ATTAINED = '<span class="ok">达标</span>'
MISSED = '<span class="miss">未达标</span>'


def _dimensions() -> pd.DataFrame:
    return seed_frame("ref_dimensions").sort_values("sort_order", key=lambda s: s.astype(int))


def city_report(con: duckdb.DuckDBPyConnection, city_code: str, year: int,
                release: dict, held_years: list[int] | None = None) -> tuple[str, str]:
    """(file title, HTML) of one city's annual report.

    Every statement stands on the year's rows: a missing index, score or value is
    shown as "—" and named in the list of what the report cannot say; no rank and no
    comparison with the province is made from fewer than two cities.
    """
    dims = _dimensions()
    score_cols = [f"score_{c.lower()}" for c in dims.dimension_code]
    cities = con.execute(
        "select * from pub_health_index where area_level = 'city' and period_year = ? "
        "order by rank_in_province nulls last, sort_order, area_code", [year]).df()
    city = cities[cities.area_code == city_code].iloc[0]
    name = city.area_name_zh
    indicators = con.execute(
        "select * from pub_indicator_value where area_code = ? and period_year = ? "
        "order by indicator_code", [city_code, year]).df()
    missed = indicators[indicators.is_attained.map(is_false).astype(bool)]
    unknown = indicators[indicators.is_attained.map(missing).astype(bool)]
    gaps: list[str] = []

    index_value, rank = number(city.health_index), whole(city.rank_in_province)
    attainment = attainment_zh(city.get("indicators_attained"), city.get("indicators_scored"),
                               city.get("attainment_pct"), city.get("indicators_at_100"))
    attainment = f"({attainment})" if attainment else ""
    ranked = int(cities.rank_in_province.notna().sum())
    indexed = cities[cities.health_index.notna()]
    if index_value is None:
        headline = f"{year}年城市健康指数<b>无法计算</b>(维度得分或指标数据缺失),不作排名"
        gaps.append(f"{esc(name)}{year}年城市健康指数缺失,无法计算,不作排名。")
    elif rank is None or ranked < MIN_RANKED:
        headline = f"城市健康指数 <b>{fmt(index_value)}</b>{attainment},不作排名"
        # releases before the rank's coverage rule have no rank_withheld_reason
        reason = city.get("rank_withheld_reason")
        reason_text = "" if missing(reason) else f"({esc(reason)})"
        gaps.append(f"{year}年全省仅有{ranked}个设区市有排名,不作排名比较。"
                    if ranked < MIN_RANKED else f"{esc(name)}{year}年无全省排名{reason_text}。")
    else:
        interval = _uncertainty(city, year, gaps)
        among = (f"全省{ranked}个设区市" if ranked == len(cities)
                 else f"全省参与排名的{ranked}个设区市")
        headline = (f"城市健康指数 <b>{fmt(index_value)}</b>{attainment},"
                    f"在{among}中排名第<b>{rank}</b> 位{interval}")
    coverage = f"{fmt(city.indicators_scored, 0)}/{fmt(city.indicators_expected, 0)}"
    attained_text = f"未达标 <b>{len(missed)}</b> 项"
    if len(unknown):
        attained_text += f",另有 <b>{len(unknown)}</b> 项数值缺失、无法判断是否达标"
        gaps.append(f"{len(unknown)}项指标{year}年数值缺失,无法判断是否达标:"
                    f"{esc_list(unknown.indicator_name_zh.fillna(unknown.indicator_code))}。")
    if indicators.empty:
        gaps.append(f"发布版本中无{esc(name)}{year}年的指标数据。")

    own = [number(city[c]) for c in score_cols]
    lacking = [d.dimension_name_zh for d, v in zip(dims.itertuples(), own, strict=True)
               if v is None]
    means = [number(cities[c].mean()) if cities[c].notna().sum() >= MIN_RANKED else None
             for c in score_cols]
    pictures = []
    if lacking:
        gaps.append(f"{esc(name)}{year}年{esc_list(lacking)}维度得分缺失,不绘制维度雷达图。")
    else:
        reference = means if all(m is not None for m in means) else None
        pictures.append('<img alt="维度得分雷达图" src="{}">'.format(charts.to_data_uri(
            charts.radar(list(dims.dimension_name_zh), own, reference,
                         title=f"{name}{year}年 八个维度得分"))))
    if len(indexed) >= MIN_RANKED:
        pictures.append('<img alt="全省排名" src="{}">'.format(charts.to_data_uri(charts.bars(
            list(indexed.area_name_zh), [float(v) for v in indexed.health_index],
            f"{year}年 全省设区市城市健康指数", highlight=name))))
    else:
        gaps.append(f"{year}年全省仅有{len(indexed)}个设区市有城市健康指数,"
                    "不绘制全省对比图。")

    county_map = _county_map(con, city_code, name, year, gaps)
    dim_rows = [[esc(d.dimension_name_zh), fmt(value), fmt(mean)]
                for d, value, mean in zip(dims.itertuples(), own, means, strict=True)]
    if any(m is None for m in means):
        gaps.append("部分维度有得分的设区市不足两个,其全省设区市平均以“—”表示。")
    miss_rows = [[esc(r.indicator_code), esc(r.indicator_name_zh),
                  _value(r), _standard(r), esc(r.unit_zh), fmt(r.score)]
                 for r in missed.itertuples()]
    appendix = [[esc(r.indicator_code), esc(r.indicator_name_zh),
                 _value(r), _standard(r), esc(r.unit_zh), _attained(r.is_attained),
                 fmt(r.score), _flags(r.quality_flags)]
                for r in indicators.itertuples()]
    if miss_rows:
        missed_section = table(["代码", "指标", "本市数值", "标准值", "单位", "得分"], miss_rows,
                               {2, 4, 5})
    elif indicators.empty:
        missed_section = gap(f"无{year}年指标数据,无法判断是否达标。")
    elif len(unknown):
        missed_section = (f"<p>有数值的指标均达到标准;{len(unknown)}项指标数值缺失,"
                          "无法判断。</p>")
    else:
        missed_section = "<p>全部指标达到标准。</p>"
    charts_html = (f'<div class="charts">{"".join(pictures)}</div>' if pictures else "")
    four_level = section_four_level(con, city_code, name, year, gaps,
                                    WORKBOOK_ZH.format(year=year))
    parts = [
        ("八个维度得分", f"{charts_html}\n" + table(["维度", "本市得分", "全省设区市平均"],
                                                  dim_rows, {1, 2})),
        ("未达标指标", missed_section),
        ("问题诊断", _diagnosis(con, city_code, year, indicators)),
        ("预警", _warnings(con, city_code, year)),
        ("居民满意度", _satisfaction(con, city_code, year)),
        ("自评数据与第三方评估核对", _reconciliation(con, city_code, year)),
        ("问题清单与整治复查", _treatment(con, city_code, year)),
    ]
    if four_level:  # the check's own structure from 2024 on comes first
        parts.insert(0, ("四级体检(住房·小区(社区)·街区·城区)", four_level))
    sections = "\n".join(f"<h2>{NUMERALS_ZH[i]}、{title}</h2>\n{text}"
                          for i, (title, text) in enumerate(parts))
    held = (f";该版本含{years_zh(held_years)}的城市健康指数" if held_years else "")
    body = f"""
<h1>{esc(name)}{year}年度城市体检报告</h1>
<p class="note">行政区划代码 {city_code} · {esc(province()["area_name_zh"])}城市体检评估 ·
发布版本 {esc(release.get('release_id', ''))}</p>
{basis(f"本报告依据发布版本中{year}年的数据{held}。")}
<div class="headline">{headline};参评指标 {coverage} 项,
{attained_text}。</div>
{gap_box(gaps)}
<h2>所辖县(市、区)城市健康指数分布</h2>
{county_map}
{sections}
<h2>附录:指标数据</h2>
{table(["代码", "指标", "数值", "标准值", "单位", "是否达标", "得分", "质量标记"],
       appendix, {2, 6}) if appendix else gap(f"无{year}年指标数据。")}
<p class="note">数据来源:本发布版本的城市体检数据(城市健康指数、指标数据、问题诊断、监测预警、
居民满意度、第三方评估核对、问题清单与整治复查),
按统一底数由区县数据汇总(比率类指标为分子之和除以分母之和)。得分方法见指标体系说明。
“—”表示数据缺失。</p>
"""
    return f"{name}{year}年度城市体检报告", page(f"{name}{year}年度城市体检报告", body)


# the year's workbook beside the reports, which the pages point to for the long lists
WORKBOOK_FILE = "城市体检数据_{year}.xlsx"
WORKBOOK_ZH = "本年度城市体检数据工作簿(" + WORKBOOK_FILE + ")"



def _county_map(con: duckdb.DuckDBPyConnection, city_code: str, name: str, year: int,
                gaps: list[str]) -> str:
    """The city's counties coloured by their index, with the table of their values;
    counties without an index are hatched (无数据) and named in the gaps."""
    codes = maps.counties_of(city_code)
    values = dict(con.execute(
        "select area_code, health_index from pub_health_index where area_level = 'county' "
        "and city_code = ? and period_year = ?", [city_code, year]).fetchall())
    known = {c: v for c, v in values.items() if c in codes and not missing(v)}
    rows = [[esc(maps.name_of(c)), c, fmt(values.get(c))] for c in codes]
    listing = table(["县(市、区)", "代码", "城市健康指数"], rows, {2})
    if not known:
        gaps.append(f"{esc(name)}所辖县(市、区){year}年城市健康指数均缺失,不绘制分布图。")
        return gap(f"所辖县(市、区){year}年城市健康指数均缺失,不绘制分布图。") + listing
    lacking = [maps.name_of(c) for c in codes if c not in known]
    if lacking:
        gaps.append(f"{esc_list(lacking)}{year}年城市健康指数缺失,分布图中以灰色斜线"
                    "(无数据)表示。")
    figure = maps.choropleth(known, codes, f"{name}{year}年 所辖县(市、区)城市健康指数",
                             "城市健康指数", frame_code=city_code)
    return (f'<div class="charts">{maps.map_img(figure, "所辖县(市、区)城市健康指数分布图")}'
            f"</div>{maps.MAP_NOTE}{listing}")


def _province_maps(con: duckdb.DuckDBPyConnection, year: int, gaps: list[str]) -> str:
    """The province's cities and its counties coloured by their index (index page)."""
    values = dict(con.execute(
        "select area_code, health_index from pub_health_index where period_year = ? "
        "and area_level in ('city', 'county')", [year]).fetchall())
    pictures = []
    for level, level_zh in (("city", "设区市"), ("county", "县(市、区)")):
        codes = maps.areas_of(level)
        known = {c: v for c, v in values.items() if c in codes and not missing(v)}
        if not known:
            gaps.append(f"{year}年{level_zh}城市健康指数均缺失,不绘制{level_zh}分布图。")
            continue
        if len(known) < len(codes):
            gaps.append(f"{len(codes) - len(known)}个{level_zh}{year}年城市健康指数缺失,"
                        "分布图中以灰色斜线(无数据)表示。")
        figure = maps.choropleth(
            known, codes, f"{province()['area_name_zh']}{year}年 {level_zh}城市健康指数",
            "城市健康指数", frame_code=maps.province_code(), labels=level == "city")
        pictures.append(maps.map_img(figure, f"{level_zh}城市健康指数分布图"))
    if not pictures:
        return ""
    return (f'<h2>全省城市健康指数分布</h2><div class="charts">{"".join(pictures)}</div>'
            + maps.MAP_NOTE + _dimension_maps(con, year, gaps) + _problem_map(con, year, gaps))


def _dimension_maps(con: duckdb.DuckDBPyConnection, year: int, gaps: list[str]) -> str:
    """The cities coloured by each dimension's score, one small map per dimension, each
    with its own classes stated in its legend."""
    dims = _dimensions()
    columns = ", ".join(f"score_{c.lower()}" for c in dims.dimension_code)
    rows = con.execute(f"select area_code, {columns} from pub_health_index "
                       "where area_level = 'city' and period_year = ?", [year]).fetchall()
    codes = maps.areas_of("city")
    pictures, lacking = [], []
    for i, dim in enumerate(dims.itertuples()):
        known = {code: values[i] for code, *values in rows
                 if code in codes and not missing(values[i])}
        if not known:
            lacking.append(dim.dimension_name_zh)
            continue
        figure = maps.choropleth(known, codes, f"{dim.dimension_name_zh}", "维度得分",
                                 frame_code=maps.province_code(), labels=False)
        pictures.append(maps.map_img(figure, f"{esc(dim.dimension_name_zh)}维度得分分布图"))
    if lacking:
        gaps.append(f"{year}年{esc_list(lacking)}维度得分均缺失,不绘制其分布图。")
    if not pictures:
        return ""
    return (f"<h2>各维度得分分布(设区市)</h2>"
            f'<div class="charts small-maps">{"".join(pictures)}</div>'
            "<p class=\"note\">每幅图按该维度各设区市得分分级,图例给出分级;"
            "城市名称见上方城市健康指数分布图。</p>")


def _problem_map(con: duckdb.DuckDBPyConnection, year: int, gaps: list[str]) -> str:
    """The counties coloured by the number of problems diagnosed in them this year; a
    county without an index this year is 无数据, not 0."""
    indexed = {code for (code,) in con.execute(
        "select area_code from pub_health_index where area_level = 'county' "
        "and period_year = ? and health_index is not null", [year]).fetchall()}
    if not indexed:
        return ""
    counts = dict(con.execute(
        "select area_code, count(*) from pub_diagnosis where area_level = 'county' "
        "and period_year = ? group by area_code", [year]).fetchall())
    codes = maps.areas_of("county")
    values = {code: counts.get(code, 0) for code in codes if code in indexed}
    figure = maps.choropleth(values, codes, f"{province()['area_name_zh']}{year}年 "
                             "县(市、区)诊断问题数", "诊断问题(项)", kind="count",
                             cmap="OrRd", frame_code=maps.province_code(), labels=False)
    return (f"<h2>问题数量分布(县、市、区)</h2>"
            f'<div class="charts">{maps.map_img(figure, "县(市、区)诊断问题数分布图")}</div>'
            f"<p class=\"note\">问题为{year}年问题诊断所列未达标或存在短板的指标,"
            f"逐县(市、区)计数;各问题见{WORKBOOK_ZH.format(year=year)}“问题诊断”表。</p>")


def _attained(value) -> str:
    if is_true(value):
        return ATTAINED
    if is_false(value):
        return MISSED
    return '<span class="note">无法判断</span>'


FLAGS_ZH = {"missing": "缺失", "incomplete": "区县不全", "out_of_valid_range": "超出合理范围",
            "third_party_gap": "与第三方差异超限"}


def _flags(flags) -> str:
    if missing(flags) or len(flags) == 0:
        return ""
    return esc("、".join(FLAGS_ZH.get(f, f) for f in flags))


PROBLEM_STATUS_ZH = {"open": "未整治", "under_treatment": "整治中", "resolved": "已解决",
                     "recurring": "反弹"}
VERDICT_ZH = {"improved": "改善", "no_change": "无明显变化", "worse": "变差"}


def _treatment(con: duckdb.DuckDBPyConnection, city_code: str, year: int) -> str:
    """Problem list → projects → re-check: where the city's problems stand this year."""
    counts = dict(con.execute(
        "select status, count(*) from pub_problem_history where city_code = ? "
        "and period_year = ? group by status", [city_code, year]).fetchall())
    if not counts:
        return f"<p>{year}年问题清单中无本市及所辖县(市、区)的问题记录。</p>"
    verdicts = dict(con.execute(
        "select verdict, count(*) from pub_recheck where city_code = ? and recheck_year = ? "
        "group by verdict", [city_code, year]).fetchall())
    gaps = con.execute(
        "select count(*) from pub_problems_without_project where city_code = ?",
        [city_code]).fetchone()[0]
    latest = con.execute("select max(period_year) from pub_problem_history").fetchone()[0]
    status_row = [[str(counts.get(s, 0)) for s in PROBLEM_STATUS_ZH]]
    worse = con.execute(
        "select r.problem_id, h.area_name_zh, h.description_zh, r.project_id, "
        "r.baseline_year, r.baseline_value, r.value from pub_recheck r "
        "join pub_problem_history h on h.problem_id = r.problem_id "
        "and h.period_year = r.recheck_year "
        "where r.city_code = ? and r.recheck_year = ? and r.verdict = 'worse' "
        "order by r.problem_id, r.project_id", [city_code, year]).fetchall()
    text = ("<p>本市及所辖县(市、区)问题清单本年度状态:</p>"
            + table(list(PROBLEM_STATUS_ZH.values()), status_row, {0, 1, 2, 3})
            + (f"<p>本年度复查已开工整治项目对应问题 {sum(verdicts.values())} 项次:"
               + ",".join(f"{VERDICT_ZH[v]} <b>{verdicts.get(v, 0)}</b>" for v in VERDICT_ZH)
               if verdicts else "<p>本年度无复查记录")
            + f"。截至{latest}年(发布版本中问题清单的最新年份),"
            f"尚无任何整治项目的问题 <b>{gaps}</b> 个"
            f"(见{WORKBOOK_ZH.format(year=year)}“问题清单”表)。</p>")
    if worse:
        text += table(["问题编号", "地区", "问题", "项目", "基期", "基期值", "本年值"],
                      [[esc(p), esc(a), esc(d), esc(j), esc(b), fmt(bv, 2), fmt(v, 2)]
                       for p, a, d, j, b, bv, v in worse], {4, 5, 6})
    return text


def _uncertainty(city, year: int, gaps: list[str]) -> str:
    """The index and rank intervals of the uncertainty analysis (pub_health_index), or,
    with no analysis or fewer simulations than uncertainty_min_simulations, no interval
    and a line in the list of what the report cannot say."""
    name = esc(city.area_name_zh)
    simulations = whole(city.get("uncertainty_simulations"))
    needed = int(assessment_parameter("uncertainty_min_simulations"))
    if simulations is None:
        gaps.append(f"{name}{year}年无不确定性分析结果,不给出指数与排名的区间。")
        return ""
    if simulations < needed:
        gaps.append(f"{name}{year}年不确定性分析仅有{simulations}次模拟(少于{needed}次),"
                    "不给出指数与排名的区间。")
        return ""
    parts = []
    if not (pd.isna(city.get("index_p05")) or pd.isna(city.get("index_p95"))):
        parts.append(f"指数 90% 区间 {fmt(city.index_p05)}–{fmt(city.index_p95)}")
    if not (pd.isna(city.get("rank_p05")) or pd.isna(city.get("rank_p95"))):
        low, high = int(city.rank_p05), int(city.rank_p95)
        parts.append(f"排名稳定在第 {low} 位" if low == high
                     else f"90% 排名区间:第 {low}–{high} 位")
    if not parts:
        return ""
    return (f"(变动权重、标准值与零分点、聚合方式、指标取舍和测量误差的 {simulations} 次"
            f"模拟中,{';'.join(parts)})")


def _diagnosis(con: duckdb.DuckDBPyConnection, city_code: str, year: int,
               indicators: pd.DataFrame) -> str:
    rows = con.execute(
        "select dimension_name_zh, description_zh from pub_diagnosis "
        "where area_code = ? and period_year = ? "
        "order by dimension_sort_order, indicator_code", [city_code, year]).fetchall()
    with_value = int(indicators.value.notna().sum()) if not indicators.empty else 0
    lacking = len(indicators) - with_value
    caveat = (f"<p class=\"gap\">{lacking}项指标{year}年数值缺失,未参与诊断。</p>"
              if lacking and with_value else "")
    if not rows:
        if not with_value:
            return gap(f"{year}年本市指标数值缺失,无法诊断。")
        return "<p>本年度未诊断出突出问题。</p>" + caveat
    counties = con.execute(
        "select count(*), count(distinct area_code) from pub_diagnosis "
        "where city_code = ? and area_level = 'county' and period_year = ?",
        [city_code, year]).fetchone()
    items = "".join(f"<li><b>{esc(dim)}</b>:{esc(text)}</li>" for dim, text in rows)
    return (f"<p>本市共诊断出 <b>{len(rows)}</b> 个问题;所辖 {counties[1]} 个县(市、区)"
            f"另有 {counties[0]} 个问题,见{WORKBOOK_ZH.format(year=year)}“问题诊断”表。</p>"
            f"{caveat}<ol>{items}</ol>")


def _warnings(con: duckdb.DuckDBPyConnection, city_code: str, year: int) -> str:
    rows = con.execute(
        "select indicator_name_zh, frequency, period, value, unit_zh, warning_level, "
        "is_escalated from pub_early_warning "
        "where area_code = ? and period_year = ? and warning_level in ('red', 'yellow') "
        "and (frequency = 'annual' or is_latest_period) "
        "order by warning_level = 'yellow', frequency, indicator_name_zh",
        [city_code, year]).fetchall()
    assessed, unknown = con.execute(
        "select count(*), count(*) filter (where warning_level is null) from pub_early_warning "
        "where area_code = ? and period_year = ? and (frequency = 'annual' or is_latest_period)",
        [city_code, year]).fetchone()
    caveat = (gap(f"另有{unknown}项指标{year}年预警等级缺失,无法判断是否预警。")
              if unknown else "")
    if not assessed or assessed == unknown:
        return gap(f"发布版本中无本市{year}年的预警数据,无法判断是否有预警。")
    if not rows:
        return "<p>本年度无红色、黄色预警。</p>" + caveat
    freq = {"annual": "年度", "quarterly": "季度监测", "monthly": "月度监测"}
    cells = [[esc(n), freq.get(f, esc(f)), esc(p), fmt(v, 2), esc(u), WARNING_ZH.get(w, esc(w)),
              "趋势恶化升级" if is_true(escalated) else ""]
             for n, f, p, v, u, w, escalated in rows]
    red = sum(1 for r in rows if r[5] == "red")
    return (f"<p>红色预警 <b>{red}</b> 项,黄色预警 <b>{len(rows) - red}</b> 项"
            f"(年度指标及月度、季度监测的最新一期)。</p>" + caveat
            + table(["指标", "类型", "期别", "数值", "单位", "预警", "说明"], cells, {3}))


def _satisfaction(con: duckdb.DuckDBPyConnection, city_code: str, year: int) -> str:
    rows = con.execute(
        "select dimension_name_zh, respondents, satisfaction_score, ci_low, ci_high, "
        "confidence_level from pub_satisfaction where area_code = ? and period_year = ? "
        "order by not is_overall, dimension_code", [city_code, year]).fetchall()
    if not rows:
        return "<p>本年度无居民满意度调查数据。</p>"
    cells = [[esc(d), fmt(n, 0), fmt(score),
              f"{fmt(low)}–{fmt(high)}" if not (missing(low) or missing(high)) else "—"]
             for d, n, score, low, high, _ in rows]
    level = rows[0][5]
    return table(["方面", "有效样本", "满意度得分", f"{level:.0%} 置信区间"], cells, {1, 2, 3})


def _reconciliation(con: duckdb.DuckDBPyConnection, city_code: str, year: int) -> str:
    total, over, compared = con.execute(
        "select count(*), count(*) filter (where is_over_tolerance), "
        "count(*) filter (where self_check_value is not null "
        "                 and third_party_value is not null) from pub_reconciliation "
        "where city_code = ? and period_year = ?", [city_code, year]).fetchone()
    if not total:
        return "<p>本年度无第三方评估抽样。</p>"
    rows = con.execute(
        "select area_name_zh, indicator_name_zh, self_check_value, third_party_value, "
        "gap_rel, unit_zh from pub_reconciliation where city_code = ? and period_year = ? "
        "and is_over_tolerance order by abs(gap_rel) desc nulls last", [city_code, year]
    ).fetchall()
    uncompared = total - compared
    if over:
        verdict = "(见下表,需说明或更正)"
    elif compared:
        verdict = ",已核对项目的自评数据可信" if uncompared else ",自评数据可信"
    else:
        verdict = ""
    text = (f"<p>第三方评估抽样 {total} 项,差异超出容差 <b>{over}</b> 项{verdict}。</p>")
    if uncompared:
        text += gap(f"其中{uncompared}项缺少自评值或第三方值,无法核对。")
    if not rows:
        return text
    cells = [[esc(a), esc(i), fmt(s, 2), fmt(t, 2),
              "—" if missing(g) else f"{g * 100:+.1f}%", esc(u)]
             for a, i, s, t, g, u in rows]
    return text + table(["地区", "指标", "自评值", "第三方值", "相对差异", "单位"], cells,
                        {2, 3, 4})


def _scaled(row) -> bool:
    """A count judged per size (e.g. per million residents): its standard is on that scale."""
    unit = getattr(row, "score_unit_zh", None)
    return isinstance(unit, str) and bool(unit) and unit != row.unit_zh


def _value(row) -> str:
    """The value as delivered; for a count judged per size, what the standard meets beside it."""
    if _scaled(row) and not missing(row.scored_value):
        scaled = f"{fmt_measure(row.scored_value)}{esc(row.score_unit_zh)}"
        return f"{fmt_measure(row.value)}（折合{scaled}）"
    return fmt_measure(row.value)


def _standard(row) -> str:
    if row.direction == "target_range":
        return f"{fmt_measure(row.target_low)}–{fmt_measure(row.target_high)}"
    prefix = "≥" if row.direction == "higher_better" else "≤"
    unit = esc(row.score_unit_zh) if _scaled(row) else ""
    return f"{prefix}{fmt_measure(row.standard_value)}{unit}"


def write_annual_reports(year: int, release_dir: Path | None = None,
                         out_dir: Path | None = None,
                         formats: tuple[str, ...] = ()) -> ReportSet:
    """One HTML report per city for the check year, an index page and a workbook; with
    ``formats`` (``docx``, ``pdf``), each city report's Word and PDF files beside it
    (``ReportSet.documents``).

    A year the release holds but without city rows still gets its index page, which
    says what is missing; a year outside the release's years is refused (ValueError).
    The cities are shared among the report workers (``cityhealth.reports.workers``):
    helpers write theirs from the same release, each page followed by its documents,
    while this process writes its own share, the workbook, the maps and the index page.
    This process's share is the smaller one, since the workbook is its alone.
    """
    out_dir = out_dir or settings().reports_dir / str(year)
    out_dir.mkdir(parents=True, exist_ok=True)
    with release(release_dir, str(year)) as (con, manifest):
        require_period(con, manifest, str(year), year, year, "city index")
        held = _held_years(con)
        cities = con.execute(
            "select area_code, area_name_zh, health_index, rank_in_province, "
            "indicators_attained, indicators_scored, attainment_pct, indicators_at_100 "
            "from pub_health_index where area_level = 'city' and period_year = ? "
            "order by rank_in_province nulls last, sort_order, area_code", [year]).fetchall()
        folder = _release_folder(con)
        *others, mine = shares([code for code, *_ in cities])
        with helpers() as started:
            started += [Helper(__name__, ["--year", str(year), "--release", str(folder),
                                          "--out", str(out_dir),
                                          "--formats", ",".join(formats), *share],
                               f"城市体检报告 {year} of {', '.join(share)}")
                        for share in others]
            workbook = write_workbook(out_dir / WORKBOOK_FILE.format(year=year),
                                      f"{province()['area_name_zh']}{year}年度城市体检",
                                      _sheets(con, year))
            release_id = manifest.get("release_id", "")
            map_gaps: list[str] = []
            map_html = _province_maps(con, year, map_gaps)
            written = _city_pages(con, year, manifest, held, mine, out_dir, formats)
            for helper in started:
                written.update({code: [Path(path) for path in paths]
                                for code, paths in helper.result().items()})
    files = [written[code][0] for code, *_ in cities]
    index_page = out_dir / "index.html"
    index_page.write_text(_index_page(year, release_id, held, cities, files, workbook,
                                      map_html, map_gaps), encoding="utf-8")
    documents = {written[code][0]: written[code][1:] for code, *_ in cities} if formats else {}
    return ReportSet(str(year), [*files, workbook], index_page, documents)


def _held_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [y for (y,) in con.execute(
        "select distinct period_year from pub_health_index where area_level = 'city' "
        "and health_index is not null order by 1").fetchall()]


def _release_folder(con: duckdb.DuckDBPyConnection) -> Path:
    """The folder of the release ``con`` reads (its database file's folder)."""
    (path,) = con.execute("select path from duckdb_databases() "
                          "where database_name = current_database()").fetchone()
    return Path(path).resolve().parent


def _city_pages(con: duckdb.DuckDBPyConnection, year: int, manifest: dict,
                held: list[int], codes: list[str], out_dir: Path,
                formats: tuple[str, ...] = ()) -> dict[str, list[Path]]:
    """The city reports of ``codes``, written into ``out_dir``, each followed by its
    documents of ``formats``: {city code: [page, *documents]}."""
    from cityhealth.reports.documents import page_documents

    names = dict(con.execute("select area_code, area_name_zh from pub_health_index "
                             "where area_level = 'city' and period_year = ?",
                             [year]).fetchall())
    pages = {}
    for code in codes:
        _title, html_text = city_report(con, code, year, manifest, held)
        path = out_dir / f"城市体检报告_{code}_{names[code]}_{year}.html"
        path.write_text(html_text, encoding="utf-8")
        pages[code] = [path, *page_documents(path, formats)]
    return pages


def main(argv: list[str] | None = None) -> int:
    """``python -m cityhealth.reports.annual --year Y --release DIR --out DIR
    [--formats docx,pdf] CODE ...``: the city reports of those cities and their
    documents (a helper of :func:`write_annual_reports`); prints ``{city code: [page,
    *documents]}`` as JSON."""
    import argparse
    import logging

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--release", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--formats", default="")
    parser.add_argument("codes", nargs="+")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    formats = tuple(f for f in args.formats.split(",") if f)
    with release(args.release, str(args.year)) as (con, manifest):
        pages = _city_pages(con, args.year, manifest, _held_years(con), args.codes, args.out,
                            formats)
    print_result({code: [str(path) for path in paths] for code, paths in pages.items()})
    return 0


def _index_page(year: int, release_id: str, held: list[int], cities: list[tuple],
                files: list[Path], workbook: Path, map_html: str = "",
                map_gaps: list[str] = ()) -> str:
    """The list of the year's city reports; a rank column only when cities are ranked;
    the province's maps of the index below it."""
    gaps = []
    held_text = f"该版本含{years_zh(held)}的城市健康指数" if held else "该版本无城市健康指数"
    if not cities:
        gaps.append(f"发布版本中无{year}年设区市城市健康指数,无法编写各设区市年度体检报告。")
    ranked = sum(1 for c in cities if not missing(c[3]))
    if cities and ranked < MIN_RANKED:
        gaps.append(f"{year}年全省仅有{ranked}个设区市有排名,不作排名。")
    unindexed = [name for _code, name, index, *_ in cities if missing(index)]
    if unindexed:
        gaps.append(f"{esc_list(unindexed)}{year}年城市健康指数缺失。")
    links = [f'<a href="{html.escape(path.name)}">{html.escape(name)}</a>'
             for (_code, name, *_), path in zip(cities, files, strict=True)]
    # the index with its attainment beside it: 达标 attained/scored 项,share;满分 at 100
    rows = [[link, code, fmt(index), attainment_zh(*attainment) or "—"]
            for (code, _name, index, _rank, *attainment), link in zip(cities, links, strict=True)]
    headers = ["城市", "代码", "城市健康指数", "指标达标情况"]
    if ranked >= MIN_RANKED:
        rows = [[fmt(city[3], 0), *row] for city, row in zip(cities, rows, strict=True)]
        listing = table(["排名", *headers], rows, {3})
    else:
        listing = table(headers, rows, {2}) if rows else ""
    return page(
        f"{year}年度城市体检报告",
        f"<h1>{html.escape(province()['area_name_zh'])}{year}年度城市体检报告</h1>"
        + f'<p class="note">发布版本 {html.escape(release_id)}</p>'
        + basis((f"本报告依据发布版本中{year}年的数据" if cities else
                 f"本报告为{year}年度城市体检报告,但发布版本中无该年设区市城市健康指数")
                + f";{held_text}。")
        + gap_box([*gaps, *map_gaps]) + listing + map_html
        + f'<p>数据表(Excel):<a href="{html.escape(workbook.name)}">'
          f"{html.escape(workbook.name)}</a></p>")


def _sheets(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, pd.DataFrame]:
    """The workbook of the check: the same published rows the reports show."""
    def frame(sql: str) -> pd.DataFrame:
        return con.execute(sql, [year]).df()

    sheets = {
        "城市健康指数": frame(
            "select * exclude (sort_order) from pub_health_index "
            "where period_year = ? order by area_level desc, rank_in_province"),
        "指标数据": frame(
            "select * from pub_indicator_value where period_year = ? "
            "order by area_code, indicator_code"),
        "问题诊断": frame(
            "select area_code, area_name_zh, area_level, dimension_name_zh, indicator_code, "
            "indicator_name_zh, problem_types, description_zh from pub_diagnosis "
            "where period_year = ? order by area_code, dimension_sort_order, indicator_code"),
        "预警": frame(
            "select * from pub_early_warning where period_year = ? "
            "and warning_level in ('red', 'yellow') order by area_code, indicator_code, period"),
        "居民满意度": frame(
            "select * exclude (sort_order) from pub_satisfaction where period_year = ? "
            "order by sort_order, dimension_code"),
        "第三方核对": frame(
            "select * from pub_reconciliation where period_year = ? "
            "order by area_code, indicator_code"),
        # what the city reports point to: every problem with its status and treatment
        "问题清单": con.execute(
            "select * from pub_problem_list order by city_code, area_code, indicator_code"
        ).df(),
    }
    if four_level_views(con):  # releases from the four-level check on
        sheets[FOUR_LEVEL_SHEET] = frame(
            "select * from pub_object_problem_list where period_year = ? "
            "order by city_code, county_code, level_code, problem_id")
        sheets["四级体检指标"] = frame(
            "select * from pub_object_indicator_value where period_year = ? "
            "order by area_level desc, area_code, indicator_code")
    return sheets


if __name__ == "__main__":
    raise SystemExit(main())
