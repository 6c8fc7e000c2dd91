"""五年一评估报告 – the five-year assessment of a plan period.

For one plan period (release label ``plan-2021-2025``): each city's index from the
baseline year (the year before the period) to its end, the eight dimensions over the
period, and the attainment of the indicators' end-of-period standards. Reads the
assessment's published release only (``pub_index_trajectory``, ``pub_health_index``,
``pub_five_year_assessment``).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.reference import seed_rows
from reports import charts
from reports.html import ReportSet, esc, fmt, page, release, save_report, table

STATUS_ZH = {"attained": "期末达标", "improved_not_attained": "改善但未达标",
             "not_improved": "未改善", "no_data": "数据不足"}


def plan_years(label: str) -> tuple[int, int]:
    """plan-2021-2025 → (2021, 2025)."""
    match = re.fullmatch(r"plan-(\d{4})-(\d{4})", label)
    if not match:
        raise ValueError(f"not a plan period label: {label!r} (expected plan-YYYY-YYYY)")
    return int(match[1]), int(match[2])


def assessment_frames(con: duckdb.DuckDBPyConnection, label: str) -> dict[str, pd.DataFrame]:
    start, end = plan_years(label)
    trajectory = con.execute(
        "select * exclude (sort_order) from pub_index_trajectory where area_level = 'city' "
        "and plan_start = ? and plan_end = ? and period_year between baseline_year and plan_end "
        "order by area_code, period_year", [start, end]).df()
    dimensions = con.execute(
        "select * exclude (sort_order) from pub_health_index where area_level = 'city' "
        "and period_year between ? and ? order by area_code, period_year",
        [start - 1, end]).df()
    attainment = con.execute(
        "select * from pub_five_year_assessment where area_level = 'city' "
        "and plan_start = ? and plan_end = ? order by area_code, indicator_code",
        [start, end]).df()
    return {"trajectory": trajectory, "dimensions": dimensions, "attainment": attainment}


def assessment_report(label: str, manifest: dict, frames: dict[str, pd.DataFrame]) -> str:
    """The assessment page from the plan period's frames (``assessment_frames``)."""
    start, end = plan_years(label)
    trajectory, dims_by_year, attainment = (frames["trajectory"], frames["dimensions"],
                                            frames["attainment"])
    if trajectory.empty:
        raise ValueError(f"the release {manifest['release_id']} has no index trajectory "
                         f"for {start}–{end}")
    title = f"江西省城市体检{start}—{end}年五年评估报告"
    years = sorted(trajectory.period_year.unique().tolist())
    names = trajectory.drop_duplicates("area_code").set_index("area_code").area_name_zh
    series = {names[c]: g.set_index("period_year").health_index.reindex(years).tolist()
              for c, g in trajectory.groupby("area_code")}
    index_chart = charts.to_data_uri(charts.lines(
        years, series, f"{start}—{end}年 各设区市城市健康指数", unit="指数"))

    dimensions = sorted(seed_rows("ref_dimensions"), key=lambda d: int(d["sort_order"]))
    means = dims_by_year.groupby("period_year").mean(numeric_only=True)
    dim_chart = charts.to_data_uri(charts.lines(
        list(means.index), {d["dimension_name_zh"]:
                            means[f"score_{d['dimension_code'].lower()}"].tolist()
                            for d in dimensions},
        f"{start}—{end}年 全省设区市八个维度平均得分", unit="得分"))

    last = trajectory[trajectory.period_year == trajectory.period_year.max()]
    index_rows = [[esc(r.area_name_zh), fmt(_baseline(trajectory, r.area_code)),
                   fmt(r.health_index), _signed(r.index_change_from_baseline),
                   str(int(r.rank_in_province)), _signed(r.rank_change_from_baseline, 0)]
                  for r in last.sort_values("rank_in_province").itertuples()]

    first_year, last_year = dims_by_year.period_year.min(), dims_by_year.period_year.max()
    dim_rows = []
    for code, group in dims_by_year.groupby("area_code"):
        by_year = group.set_index("period_year")
        dim_rows.append([esc(names.get(code, code))] + [
            _signed(by_year.at[last_year, col] - by_year.at[first_year, col])
            if first_year in by_year.index and last_year in by_year.index else "—"
            for col in (f"score_{d['dimension_code'].lower()}" for d in dimensions)])

    attain_rows = []
    for code, group in attainment.groupby("area_code"):
        counts = group.assessment_status.value_counts()
        assessed = len(group) - int(counts.get("no_data", 0))
        attain_rows.append([esc(names.get(code, group.area_name_zh.iloc[0]))] + [
            str(int(counts.get(s, 0))) for s in STATUS_ZH] + [
            fmt(100 * counts.get("attained", 0) / assessed if assessed else None)])
    attain_rows.sort(key=lambda r: -float(r[-1]) if r[-1] != "—" else 0)
    weakest = (attainment[attainment.assessment_status != "no_data"]
               .assign(attained=lambda f: f.assessment_status.eq("attained"))
               .groupby(["indicator_code", "indicator_name_zh"]).attained.mean()
               .sort_values().head(10).reset_index())
    weakest_rows = [[esc(r.indicator_code), esc(r.indicator_name_zh),
                     fmt(100 * r.attained, 0)] for r in weakest.itertuples()]
    body = f"""
<h1>{title}</h1>
<p class="note">发布版本 {esc(manifest.get('release_id', ''))} · 基期 {start - 1} 年 ·
数据来源:pub_index_trajectory、pub_health_index、pub_five_year_assessment</p>
<div class="headline">{start}—{end}年,全省{len(last)}个设区市城市健康指数平均由
<b>{fmt(_mean_at(trajectory, years[0]))}</b> 变为 <b>{fmt(_mean_at(trajectory, years[-1]))}</b>;
期末指标达标率最高的是 <b>{attain_rows[0][0] if attain_rows else "—"}</b>。</div>
<h2>一、各设区市城市健康指数变化</h2>
<div class="charts"><img alt="城市健康指数变化" src="{index_chart}"></div>
{table(["设区市", f"{years[0]}年指数", f"{years[-1]}年指数", "变化", "期末排名", "名次变化"],
       index_rows, {1, 2, 3, 4, 5})}
<h2>二、八个维度变化</h2>
<div class="charts"><img alt="维度得分变化" src="{dim_chart}"></div>
{table(["设区市"] + [d["dimension_name_zh"] for d in dimensions], dim_rows,
       set(range(1, len(dimensions) + 1)))}
<h2>三、期末目标达成</h2>
{table(["设区市"] + list(STATUS_ZH.values()) + ["达标率%"], attain_rows, {1, 2, 3, 4, 5})}
<h3>达标率最低的指标</h3>
{table(["代码", "指标", "设区市达标率%"], weakest_rows, {2})}
<p class="note">名次变化为正表示名次前移。达标指期末值达到期末标准;改善指按指标方向向好。</p>
"""
    return page(title, body)


def _baseline(trajectory: pd.DataFrame, area_code: str) -> float | None:
    rows = trajectory[(trajectory.area_code == area_code) & trajectory.is_baseline_year]
    return None if rows.empty else float(rows.health_index.iloc[0])


def _mean_at(trajectory: pd.DataFrame, year: int) -> float:
    return float(trajectory[trajectory.period_year == year].health_index.mean())


def _signed(value, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:+.{digits}f}"


def write_five_year_report(label: str, release_dir: Path | None = None,
                           out_dir: Path | None = None) -> ReportSet:
    """The plan period's assessment report as HTML and as a workbook."""
    with release(release_dir) as (con, manifest):
        frames = assessment_frames(con, label)
    html_text = assessment_report(label, manifest, frames)
    start, end = plan_years(label)
    return save_report(label, out_dir, f"五年评估报告_{start}-{end}.html", html_text,
                       f"五年评估数据_{start}-{end}.xlsx", f"{start}—{end}年五年评估",
                       {"指数变化": frames["trajectory"], "维度得分": frames["dimensions"],
                        "期末目标达成": frames["attainment"]})
