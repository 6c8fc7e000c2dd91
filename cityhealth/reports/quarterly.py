"""季度通报 – the quarterly bulletin: cities compared, leaders and laggards named.

For one quarter (``2025-Q2``): the cities ranked on the quarter's monitoring warnings
and on task and project progress (``pub_quarterly_bulletin``), and the monitoring
indicators of the quarter city by city with their warning colours
(``pub_early_warning``: quarterly feeds for the quarter, monthly feeds for its last
month). Reads the quarter's published release only.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.core.reference import province
from cityhealth.reports import charts, maps
from cityhealth.reports.coverage import (
    MIN_RANKED,
    basis,
    esc_list,
    gap,
    gap_box,
    missing,
    quarters_zh,
    require_period,
)
from cityhealth.reports.html import (
    WARNING_ZH,
    ReportSet,
    esc,
    fmt,
    page,
    release,
    save_report,
    table,
)

NAMED = 3  # leaders and laggards named in the bulletin


def _quarter(period: str) -> tuple[int, int]:
    year, quarter = period.split("-Q")
    return int(year), int(quarter)


def bulletin_frames(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, pd.DataFrame]:
    year, quarter = _quarter(period)
    ranking = con.execute(
        "select * exclude (sort_order) from pub_quarterly_bulletin where period = ? "
        "order by rank_in_province, city_code", [period]).df()
    monitoring = con.execute(
        "select area_code, area_name_zh, indicator_code, indicator_name_zh, unit_zh, "
        "frequency, period, value, warning_level, is_escalated from pub_early_warning "
        "where area_level = 'city' and ((frequency = 'quarterly' and period = ?) "
        "or (frequency = 'monthly' and period = ?)) order by indicator_code, area_code",
        [period, f"{year}-{quarter * 3:02d}"]).df()
    return {"ranking": ranking, "monitoring": monitoring}


PARTS_ZH = {"warnings_score": "监测预警", "task_progress_score": "任务进度",
            "project_progress_score": "项目进度"}


def bulletin_report(period: str, manifest: dict, frames: dict[str, pd.DataFrame],
                    held: list[str] | None = None) -> str:
    """The bulletin page from the quarter's frames (``bulletin_frames``).

    Leaders and laggards are named only among ranked cities, never the same city as
    both, and never from fewer than two; a part of the score without data is named.
    """
    ranking, monitoring = frames["ranking"], frames["monitoring"]
    year, quarter = _quarter(period)
    title = f"{province()['area_name_zh']}城市体检评估{year}年第{quarter}季度通报"
    gaps: list[str] = []
    held_text = (f"发布版本含通报数据的季度:{quarters_zh(held)}。" if held else
                 "发布版本中没有任何季度的通报数据。")
    stands_on = basis(
        (f"本报告依据{year}年第{quarter}季度的通报数据" if not ranking.empty else
         f"本报告为{year}年第{quarter}季度通报,但发布版本中无该季度的通报数据")
        + f";监测指标季度数据取{year}年第{quarter}季度,月度数据取{year}年{quarter * 3}月。"
        + held_text)
    ranked = (ranking[ranking.rank_in_province.notna() & ranking.bulletin_score.notna()]
              .sort_values(["rank_in_province", "city_code"]) if not ranking.empty else ranking)
    if ranking.empty:
        gaps.append(f"发布版本中无{year}年第{quarter}季度的通报数据,不作排名,不点名。")
    else:
        for column, part in PARTS_ZH.items():
            lacking = ranking[ranking[column].isna()]
            if len(lacking) == len(ranking):
                gaps.append(f"本季度各设区市均无{part}得分(数据缺失),综合得分不含该部分。")
            elif len(lacking):
                gaps.append(f"{esc_list(lacking.city_name_zh)}本季度无{part}得分,"
                            "其综合得分不含该部分。")
        unranked = ranking[~ranking.index.isin(ranked.index)]
        if len(unranked):
            gaps.append(f"{esc_list(unranked.city_name_zh)}本季度无综合得分,未参与排名。")
    headline = (_leaders_and_laggards(ranked, gaps) if not ranking.empty
                else "本季度无通报数据,不作排名比较,不点名")

    rows = [[fmt(r.rank_in_province, 0), esc(r.city_name_zh), fmt(r.warnings_red, 0),
             fmt(r.warnings_yellow, 0), fmt(r.tasks_delayed, 0),
             f"{fmt(r.projects_behind, 0)}/{fmt(r.projects_overdue, 0)}",
             fmt(r.warnings_score), fmt(r.task_progress_score), fmt(r.project_progress_score),
             f"<b>{fmt(r.bulletin_score)}</b>"]
            for r in pd.concat([ranked, ranking[~ranking.index.isin(ranked.index)]])
            .itertuples()] if not ranking.empty else []
    if len(ranked) >= MIN_RANKED:
        chart = charts.to_data_uri(charts.bars(
            list(ranked.city_name_zh), [float(v) for v in ranked.bulletin_score],
            f"{year}年第{quarter}季度 综合得分", unit="分"))
        ranking_section = f'<div class="charts"><img alt="季度综合得分" src="{chart}"></div>'
    else:
        ranking_section = gap("参与排名的设区市不足两个,不绘制排名图。")
    ranking_section += _warning_map(ranking, year, quarter, gaps)
    if rows:
        ranking_section += table(["排名", "设区市", "红色预警", "黄色预警", "滞后任务",
                                  "滞后/逾期项目", "监测得分", "任务得分", "项目得分", "综合得分"],
                                 rows, {0, 2, 3, 4, 5, 6, 7, 8, 9})
    else:
        ranking_section = gap(f"无{year}年第{quarter}季度通报数据,不作排名。")
    body = f"""
<h1>{esc(title)}</h1>
<p class="note">发布版本 {esc(manifest.get('release_id', ''))} ·
数据来源:本发布版本的季度通报和监测预警</p>
{stands_on}
<div class="headline">{headline}。</div>
{gap_box(gaps)}
<h2>一、各设区市综合排名</h2>
{ranking_section}
<h2>二、本季度监测指标</h2>
{_monitoring_table(monitoring)}
<p class="note">综合得分为监测预警、任务进度和项目进度三部分得分的加权平均(缺少数据的部分不计入),
方法见评估方法说明;月度监测指标取本季度最后一个月。“—”表示数据缺失。</p>
"""
    return page(title, body)


def _warning_map(ranking: pd.DataFrame, year: int, quarter: int, gaps: list[str]) -> str:
    """The cities coloured by their red and yellow warnings of the quarter; a city
    without warning data is hatched (无数据) and named in the gaps."""
    if ranking.empty:
        return ""
    codes = maps.areas_of("city")
    counts = {r.city_code: int(r.warnings_red) + int(r.warnings_yellow)
              for r in ranking.itertuples()
              if not (missing(r.warnings_red) or missing(r.warnings_yellow))}
    if not counts:
        gaps.append("本季度各设区市均无监测预警数据,不绘制预警分布图。")
        return ""
    lacking = [maps.name_of(c) for c in codes if c not in counts]
    if lacking:
        gaps.append(f"{esc_list(lacking)}本季度无监测预警数据,预警分布图中以灰色斜线"
                    "(无数据)表示。")
    figure = maps.choropleth(counts, codes, f"{year}年第{quarter}季度 各设区市红色、黄色预警",
                             "红色与黄色预警(项)", kind="count", cmap="OrRd",
                             frame_code=maps.province_code())
    return (f'<div class="charts">{maps.map_img(figure, "预警分布图")}</div>'
            '<p class="note">预警分布图为专题示意图(非标准地图),仅供内部工作参考;'
            "颜色表示本季度红色与黄色预警项数之和,灰色斜线为无数据。</p>")


def _leaders_and_laggards(ranked: pd.DataFrame, gaps: list[str]) -> str:
    """The headline naming the leaders and the laggards, as far as the ranking allows."""
    count = len(ranked)
    named = min(NAMED, count // 2)
    if named < 1:
        gaps.append(f"本季度参与排名的设区市仅{count}个,不作排名比较,不点名。")
        return "本季度不作排名比较,不点名"
    ranks = [int(r) for r in ranked.rank_in_province]
    names = list(ranked.city_name_zh)
    # Cities tied with the last one named are named too.
    leaders = [n for n, r in zip(names, ranks, strict=True) if r <= ranks[named - 1]]
    laggards = [n for n, r in zip(names, ranks, strict=True) if r >= ranks[count - named]][::-1]
    if set(leaders) & set(laggards):
        gaps.append("本季度各设区市综合得分并列过多,无法区分靠前与靠后,不点名。")
        return "本季度综合得分并列过多,不点名"
    if named < NAMED:
        gaps.append(f"本季度参与排名的设区市仅{count}个,前后各点名{named}个。")
    return (f"本季度综合排名靠前的是 <b>{esc_list(leaders)}</b>;"
            f"排名靠后、予以通报的是 <b>{esc_list(laggards)}</b>")


def _monitoring_table(monitoring: pd.DataFrame) -> str:
    if monitoring.empty:
        return gap("发布版本中无本季度的监测数据。")
    indicators = monitoring.drop_duplicates("indicator_code")
    cities = monitoring.drop_duplicates("area_code").sort_values("area_code")
    cell = {(r.area_code, r.indicator_code): _colour(r.value, r.warning_level)
            for r in monitoring.itertuples()}
    headers = ["设区市"] + [f"{i.indicator_name_zh}({'' if missing(i.unit_zh) else i.unit_zh})"
                            for i in indicators.itertuples()]
    if len(set(headers)) < len(headers):  # two indicators of one name: tell them apart
        headers = ["设区市"] + [f"{h} {i.indicator_code}" for h, i in
                                zip(headers[1:], indicators.itertuples(), strict=True)]
    rows = [[esc(c.area_name_zh)] + [cell.get((c.area_code, i.indicator_code), "—")
                                     for i in indicators.itertuples()]
            for c in cities.itertuples()]
    return table(headers, rows, set(range(1, len(headers))))


def _colour(value, level) -> str:
    """The value and its warning colour; a missing value has no colour."""
    if missing(value):
        return "—"
    return f"{fmt(value, 1)} {WARNING_ZH.get(level, '')}".strip()


def write_quarterly_bulletin(period: str, release_dir: Path | None = None,
                             out_dir: Path | None = None) -> ReportSet:
    """The quarter's bulletin as HTML and as a workbook."""
    year, quarter = _quarter(period)
    with release(release_dir, period) as (con, manifest):
        require_period(con, manifest, period, year, year, "bulletin")
        frames = bulletin_frames(con, period)
        held = [p for (p,) in con.execute(
            "select distinct period from pub_quarterly_bulletin where period is not null "
            "order by 1").fetchall()]
    html_text = bulletin_report(period, manifest, frames, held)
    return save_report(period, out_dir, f"季度通报_{period}.html", html_text,
                       f"季度通报_{period}.xlsx", f"{year}年第{quarter}季度通报",
                       {"综合排名": frames["ranking"], "监测指标": frames["monitoring"]})
