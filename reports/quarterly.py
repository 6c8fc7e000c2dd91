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

from reports import charts
from reports.html import WARNING_ZH, ReportSet, esc, fmt, page, release, save_report, table

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


def bulletin_report(period: str, manifest: dict, frames: dict[str, pd.DataFrame]) -> str:
    """The bulletin page from the quarter's frames (``bulletin_frames``)."""
    ranking, monitoring = frames["ranking"], frames["monitoring"]
    if ranking.empty:
        raise ValueError(f"the release {manifest['release_id']} has no bulletin for {period}")
    year, quarter = _quarter(period)
    title = f"江西省城市体检评估{year}年第{quarter}季度通报"
    names = list(ranking.city_name_zh)
    leaders, laggards = names[:NAMED], names[-NAMED:][::-1]
    rows = [[str(int(r.rank_in_province)), esc(r.city_name_zh), str(int(r.warnings_red)),
             str(int(r.warnings_yellow)), str(int(r.tasks_delayed)),
             f"{int(r.projects_behind)}/{int(r.projects_overdue)}",
             fmt(r.warnings_score), fmt(r.task_progress_score), fmt(r.project_progress_score),
             f"<b>{fmt(r.bulletin_score)}</b>"] for r in ranking.itertuples()]
    chart = charts.to_data_uri(charts.bars(
        names, [float(v) for v in ranking.bulletin_score], f"{year}年第{quarter}季度 综合得分",
        unit="分"))
    body = f"""
<h1>{title}</h1>
<p class="note">发布版本 {esc(manifest.get('release_id', ''))} ·
数据来源:pub_quarterly_bulletin、pub_early_warning</p>
<div class="headline">本季度综合排名靠前的是 <b>{"、".join(map(esc, leaders))}</b>;
排名靠后、予以通报的是 <b>{"、".join(map(esc, laggards))}</b>。</div>
<h2>一、各设区市综合排名</h2>
<div class="charts"><img alt="季度综合得分" src="{chart}"></div>
{table(["排名", "设区市", "红色预警", "黄色预警", "滞后任务", "滞后/逾期项目", "监测得分",
        "任务得分", "项目得分", "综合得分"], rows, {0, 2, 3, 4, 5, 6, 7, 8, 9})}
<h2>二、本季度监测指标</h2>
{_monitoring_table(monitoring)}
<p class="note">综合得分为监测预警、任务进度和项目进度三部分得分的加权平均,方法见评估方法说明;
月度监测指标取本季度最后一个月。</p>
"""
    return page(title, body)


def _monitoring_table(monitoring: pd.DataFrame) -> str:
    if monitoring.empty:
        return "<p>本季度无监测数据。</p>"
    indicators = monitoring.drop_duplicates("indicator_code")
    cities = monitoring.drop_duplicates("area_code").sort_values("area_code")
    cell = {(r.area_code, r.indicator_code): f"{fmt(r.value, 1)} {WARNING_ZH[r.warning_level]}"
            for r in monitoring.itertuples()}
    headers = ["设区市"] + [f"{i.indicator_name_zh}({i.unit_zh or ''})"
                            for i in indicators.itertuples()]
    rows = [[esc(c.area_name_zh)] + [cell.get((c.area_code, i.indicator_code), "—")
                                     for i in indicators.itertuples()]
            for c in cities.itertuples()]
    return table(headers, rows, set(range(1, len(headers))))


def write_quarterly_bulletin(period: str, release_dir: Path | None = None,
                             out_dir: Path | None = None) -> ReportSet:
    """The quarter's bulletin as HTML and as a workbook."""
    with release(release_dir) as (con, manifest):
        frames = bulletin_frames(con, period)
    html_text = bulletin_report(period, manifest, frames)
    year, quarter = _quarter(period)
    return save_report(period, out_dir, f"季度通报_{period}.html", html_text,
                       f"季度通报_{period}.xlsx", f"{year}年第{quarter}季度通报",
                       {"综合排名": frames["ranking"], "监测指标": frames["monitoring"]})
