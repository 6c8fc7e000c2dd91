"""城市体检报告 – the annual city health check report, one self-contained HTML per city.

Reads the published release only (what BI tools see), embeds its charts as
PNG data URIs and its CSS inline: the file opens on a machine with no network.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.settings import SEEDS_DIR, settings
from reports import charts
from reports.html import fmt, page, table

ATTAINED = '<span class="ok">达标</span>'
MISSED = '<span class="miss">未达标</span>'


@dataclass(frozen=True)
class ReportSet:
    year: int
    files: list[Path]
    index: Path


def _dimensions() -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / "ref_dimensions.csv", dtype=str).sort_values("sort_order")


def city_report(con: duckdb.DuckDBPyConnection, city_code: str, year: int,
                release: dict) -> tuple[str, str]:
    """(file title, HTML) of one city's annual report."""
    dims = _dimensions()
    score_cols = [f"score_{c.lower()}" for c in dims.dimension_code]
    cities = con.execute(
        "select * from pub_health_index where area_level = 'city' and period_year = ? "
        "order by rank_in_province", [year]).df()
    city = cities[cities.area_code == city_code].iloc[0]
    name = city.area_name_zh
    indicators = con.execute(
        "select * from pub_indicator_value where area_code = ? and period_year = ? "
        "order by indicator_code", [city_code, year]).df()
    missed = indicators[indicators.is_attained.eq(False)]

    radar = charts.to_data_uri(charts.radar(
        list(dims.dimension_name_zh), [float(city[c]) for c in score_cols],
        [float(cities[c].mean()) for c in score_cols], title=f"{name}{year}年 八个维度得分"))
    ranking = charts.to_data_uri(charts.bars(
        list(cities.area_name_zh), list(cities.health_index.astype(float)),
        f"{year}年 全省设区市城市健康指数", highlight=name))

    dim_rows = [[html.escape(d.dimension_name_zh), html.escape(d.dimension_name_en),
                 fmt(city[f"score_{d.dimension_code.lower()}"]),
                 fmt(cities[f"score_{d.dimension_code.lower()}"].mean())]
                for d in dims.itertuples()]
    miss_rows = [[html.escape(r.indicator_code), html.escape(r.indicator_name_zh),
                  fmt(r.value, 2), _standard(r), html.escape(r.unit_zh or ""), fmt(r.score)]
                 for r in missed.itertuples()]
    appendix = [[html.escape(r.indicator_code), html.escape(r.indicator_name_zh),
                 fmt(r.value, 2), _standard(r), html.escape(r.unit_zh or ""),
                 ATTAINED if r.is_attained else MISSED,
                 fmt(r.score)]
                for r in indicators.itertuples()]
    coverage = f"{int(city.indicators_scored)}/{int(city.indicators_expected)}"
    body = f"""
<h1>{html.escape(name)}{year}年度城市体检报告</h1>
<p class="note">行政区划代码 {city_code} · 江西省城市体检评估 ·
发布版本 {html.escape(release.get('release_id', ''))}</p>
<div class="headline">城市健康指数 <b>{fmt(city.health_index)}</b>,在全省11个设区市中排名第
<b>{int(city.rank_in_province)}</b> 位;参评指标 {coverage} 项,未达标 <b>{len(missed)}</b> 项。</div>
<h2>一、八个维度得分</h2>
<div class="charts"><img alt="维度得分雷达图" src="{radar}">
<img alt="全省排名" src="{ranking}"></div>
{table(["维度", "Dimension", "本市得分", "全省设区市平均"], dim_rows, {2, 3})}
<h2>二、未达标指标</h2>
{table(["代码", "指标", "本市数值", "标准值", "单位", "得分"], miss_rows, {2, 4, 5}) if miss_rows
 else "<p>全部指标达到标准。</p>"}
<h2>附录:指标数据</h2>
{table(["代码", "指标", "数值", "标准值", "单位", "是否达标", "得分"], appendix, {2, 6})}
<p class="note">数据来源:已发布的城市体检数据集(pub_health_index、pub_indicator_value),
按统一底数由区县数据汇总(比率类指标为分子之和除以分母之和)。得分方法见指标体系说明。</p>
"""
    return f"{name}{year}年度城市体检报告", page(f"{name}{year}年度城市体检报告", body)


def _standard(row) -> str:
    if row.direction == "target_range":
        return f"{fmt(row.target_low, 2)}–{fmt(row.target_high, 2)}"
    prefix = "≥" if row.direction == "higher_better" else "≤"
    return f"{prefix}{fmt(row.standard_value, 2)}"


def write_annual_reports(year: int, release_dir: Path | None = None,
                         out_dir: Path | None = None) -> ReportSet:
    """Write one report per city for the check year, plus an index page."""
    from warehouse.release import LATEST_LINK, MANIFEST, RELEASE_DB

    cfg = settings()
    release_dir = (release_dir or cfg.releases_dir / LATEST_LINK).resolve()
    out_dir = out_dir or cfg.reports_dir / str(year)
    out_dir.mkdir(parents=True, exist_ok=True)
    release = json.loads((release_dir / MANIFEST).read_text(encoding="utf-8"))
    con = duckdb.connect(str(release_dir / RELEASE_DB), read_only=True)
    try:
        cities = con.execute(
            "select area_code, area_name_zh, health_index, rank_in_province "
            "from pub_health_index where area_level = 'city' and period_year = ? "
            "order by rank_in_province", [year]).fetchall()
        if not cities:
            raise ValueError(f"the release {release_dir.name} has no city index for {year}")
        files = []
        for code, name, _index, _rank in cities:
            title, html_text = city_report(con, code, year, release)
            path = out_dir / f"城市体检报告_{code}_{name}_{year}.html"
            path.write_text(html_text, encoding="utf-8")
            files.append(path)
    finally:
        con.close()
    rows = [[str(rank), f'<a href="{html.escape(path.name)}">{html.escape(name)}</a>', code,
             fmt(index)] for (code, name, index, rank), path in zip(cities, files, strict=True)]
    index_page = out_dir / "index.html"
    index_page.write_text(page(f"{year}年度城市体检报告", f"<h1>江西省{year}年度城市体检报告</h1>"
                                + table(["排名", "城市", "代码", "城市健康指数"], rows, {3})),
                          encoding="utf-8")
    return ReportSet(year, files, index_page)
