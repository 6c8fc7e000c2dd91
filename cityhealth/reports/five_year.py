"""五年一评估报告 – the five-year assessment of a plan period.

For one plan period (release label ``plan-2021-2025``): each city's index from the
baseline year (the year before the period) to its end, the eight dimensions over the
period, and the attainment of the indicators' end-of-period standards. Reads the
assessment's published release only (``pub_index_trajectory``, ``pub_health_index``,
``pub_five_year_assessment``; the yearly index of ``pub_health_index`` stands in for a
plan period whose trajectory the release does not hold).

The page names the years it stands on and states a change only between two years
that both have values, a rank or a leader only among two cities or more; a baseline
or an end year without data is said in words, and "—" marks what cannot be computed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.core.periods import Period
from cityhealth.core.reference import province, seed_rows
from cityhealth.reports import charts, maps
from cityhealth.reports.coverage import (
    MIN_RANKED,
    attainment_zh,
    basis,
    esc_list,
    gap,
    gap_box,
    missing,
    number,
    require_period,
    tables,
    whole,
    years_zh,
)
from cityhealth.reports.html import ReportSet, esc, fmt, page, release, save_report, table

# Columns of pub_index_trajectory that hold the index under one method (the last year's).
CURRENT_METHOD = ("method_year", "health_index_current_method")

STATUS_ZH = {"attained": "期末达标", "improved_not_attained": "改善但未达标",
             "not_improved": "未改善", "no_data": "数据不足"}


def assessed_plan(label: str, manifest: dict) -> Period:
    """The plan period the report assesses, parsed once.

    A plan period's release (manifest ``period`` ``plan-…``) is read for its own plan
    period only; an annual release, holding every year, for any plan period inside it.
    ``ValueError`` when ``label`` is not a plan period or names another than the release's.
    """
    asked = Period.parse(label)
    if asked.kind != "five_year":
        raise ValueError(f"not a plan period: {label!r} (expected plan-<start>-<end>)")
    released = Period.parse(manifest["period"]) if manifest.get("period") else None
    if released is not None and released.kind == "five_year" and released != asked:
        raise ValueError(f"the release {manifest.get('release_id', '?')} assesses "
                         f"{released.label}, not {asked.label}")
    return asked


def assessment_frames(con: duckdb.DuckDBPyConnection, plan: Period) -> dict[str, pd.DataFrame]:
    start, end = plan.first_year, plan.last_year
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
    overlap = (con.execute(
        "select * exclude (sort_order_a, sort_order_b) from pub_dimension_correlation "
        "where area_level = 'city' and period_year between ? and ? "
        "order by period_year, sort_order_a, sort_order_b", [start - 1, end]).df()
        if "pub_dimension_correlation" in tables(con) else pd.DataFrame())
    return {"trajectory": trajectory, "dimensions": dimensions, "attainment": attainment,
            "overlap": overlap}


def assessment_report(plan: Period, manifest: dict, frames: dict[str, pd.DataFrame]) -> str:
    """The assessment page from the plan period's frames (``assessment_frames``).

    Changes, ranks and leaders are stated only where the release holds the values
    they need (two years for a change, two cities for a rank or a leader); what is
    missing is said on the page, never filled with a zero.
    """
    start, end = plan.first_year, plan.last_year
    baseline = start - 1
    trajectory, dims_by_year, attainment = (frames["trajectory"], frames["dimensions"],
                                            frames["attainment"])
    title = f"{province()['area_name_zh']}城市体检{start}—{end}年五年评估报告"
    gaps: list[str] = []
    # The index by city and year: the plan's trajectory, or the yearly index when the
    # release holds no trajectory of this plan period (the same published values).
    columns = ["area_code", "area_name_zh", "period_year", "health_index", "rank_in_province"]
    source = trajectory if not trajectory.empty else dims_by_year
    if set(CURRENT_METHOD) <= set(source.columns):
        columns += list(CURRENT_METHOD)
    index = (source[columns] if not source.empty else pd.DataFrame(columns=columns))
    index = index[index.health_index.notna()]
    years = sorted(int(y) for y in index.period_year.unique())
    names = _names(trajectory, dims_by_year, attainment)
    first, last = (years[0], years[-1]) if years else (None, None)
    two_years = len(years) >= 2

    if not years:
        gaps.append(f"发布版本中无{baseline}—{end}年设区市城市健康指数,无法评估指数变化。")
    elif not two_years:
        gaps.append(f"仅有{first}年一年数据,不作排名与变化判断。")
    if years and first != baseline:
        gaps.append(f"基期({baseline}年)无数据,无法计算五年变化"
                    + (f";以下变化为{first}—{last}年的变化。" if two_years else "。"))
    if years and last != end:
        gaps.append(f"规划期末({end}年)尚无数据,"
                    + (f"期末值取最新的{last}年。" if last > baseline else "无法评估期末状况。"))

    headline, index_section = _index_section(index, years, names, start, end, gaps,
                                             dims_by_year)
    dim_section = _dimension_section(dims_by_year, names, gaps)
    overlap_note = _overlap_warning(frames.get("overlap", pd.DataFrame()))
    framework_note = _framework_switch(trajectory)
    leader, attain_section = _attainment_section(attainment, names, start, end, gaps)
    if leader:
        headline += f";{leader}"
    source_note = ("" if not trajectory.empty or dims_by_year.empty else
                   f"发布版本未含{start}—{end}年规划期的指数轨迹,指数取自各年度城市健康指数。")
    body = f"""
<h1>{esc(title)}</h1>
<p class="note">发布版本 {esc(manifest.get('release_id', ''))} · 基期 {baseline} 年 ·
数据来源:本发布版本的指数轨迹、城市健康指数和规划期指标评估</p>
{basis(f"本报告依据发布版本中{years_zh(years)}的设区市城市健康指数。" if years else
       "发布版本中没有本规划期的设区市城市健康指数。")}
<div class="headline">{headline}。</div>
{gap_box(gaps)}
<h2>一、各设区市城市健康指数变化</h2>
{framework_note}{index_section}
<h2>二、八个维度变化</h2>
{overlap_note}{dim_section}
<h2>三、期末目标达成</h2>
{attain_section}
<p class="note">名次变化为正表示名次前移。“同一方法下变化”按最后一年的指标体系和维度权重
重算各年指数后计算,“其中方法调整”为各年自身口径的变化与之之差(指标增减、标准和权重
调整所致,不是实际变化)。达标指期末值达到期末标准;改善指按指标方向向好。
“—”表示缺少所需年份的数据,无法计算。变化分布图为专题示意图(非标准地图),
仅供内部工作参考,分级含下限、不含上限(最高一级含上限),灰色斜线为无数据。{source_note}</p>
"""
    return page(title, body)


def _names(*frames: pd.DataFrame) -> dict[str, str]:
    names: dict[str, str] = {}
    for frame in frames:
        if not frame.empty:
            names.update(frame.drop_duplicates("area_code")
                         .set_index("area_code").area_name_zh.dropna().to_dict())
    return names


def _attained(yearly: pd.DataFrame, codes, year: int, unit: str = "项") -> str:
    """The attainment beside the index of ``codes`` in ``year`` (pub_health_index rows),
    summed over the cities when there are several: "达标 a/b 项次,p%;满分 c 项次"."""
    columns = ["indicators_attained", "indicators_scored", "indicators_at_100"]
    if yearly.empty or not set(columns) <= set(yearly.columns):
        return ""  # a release published before the index carried its attainment
    rows = yearly[(yearly.period_year == year) & yearly.area_code.isin(list(codes))]
    if rows.empty or rows[columns].isna().any().any():
        return ""
    attained, scored, at_100 = (int(rows[c].sum()) for c in columns)
    pct = 100.0 * attained / scored if scored else None
    return attainment_zh(attained, scored, pct, at_100, unit)


def _beside(year: int, attained: str) -> str:
    return f"({year}年" + (f",各市合计{attained})" if attained else ")")


def _index_section(index: pd.DataFrame, years: list[int], names: dict[str, str],
                   start: int, end: int, gaps: list[str],
                   yearly: pd.DataFrame) -> tuple[str, str]:
    """(headline, section) of the index: levels, changes and ranks as far as data go,
    the indicators attained beside every index stated."""
    if not years:
        return (f"{start}—{end}年设区市城市健康指数无数据",
                gap("无城市健康指数数据,不作变化与排名判断。"))
    first, last = years[0], years[-1]
    by_city = {code: group.set_index("period_year")
               for code, group in index.groupby("area_code")}
    order = sorted(by_city, key=lambda c: (whole(_at(by_city[c], last, "rank_in_province"))
                                           or 10**6, c))
    if len(years) < 2:
        rows = [[esc(names.get(c, c)), fmt(_at(by_city[c], first, "health_index")),
                 _attained(yearly, [c], first) or "—"]
                for c in sorted(by_city)]
        attained = _attained(yearly, by_city, first, "项次")
        headline = (f"仅有{first}年一年数据:全省{len(rows)}个设区市城市健康指数平均为 "
                    f"<b>{fmt(index.health_index.mean())}</b>"
                    + (f"(各市合计{attained})" if attained else "")
                    + ",不作变化与排名判断")
        return headline, (gap(f"仅有{first}年一年数据,不绘制指数变化趋势图。")
                          + table(["设区市", f"{first}年指数", f"{first}年指标达标情况"],
                                  rows, {1}))

    changes = {c: _difference(_at(g, last, "health_index"), _at(g, first, "health_index"))
               for c, g in by_city.items()}
    both = [c for c, change in changes.items() if change is not None]
    ranked_first = sum(1 for g in by_city.values()
                       if not missing(_at(g, first, "rank_in_province")))
    ranked_last = sum(1 for g in by_city.values()
                      if not missing(_at(g, last, "rank_in_province")))
    show_rank = ranked_last >= MIN_RANKED
    show_rank_change = show_rank and ranked_first >= MIN_RANKED
    same_method = {c: _difference(_at(g, last, "health_index_current_method"),
                                  _at(g, first, "health_index_current_method"))
                   for c, g in by_city.items()} if "health_index_current_method" in index else {}
    show_method = any(change is not None for change in same_method.values())
    headers = ["设区市", f"{first}年指数", f"{last}年指数", f"{first}—{last}年变化"]
    headers += ["同一方法下变化", "其中方法调整"] if show_method else []
    headers += [f"{last}年排名"] if show_rank else []
    headers += ["名次变化"] if show_rank_change else []
    headers += [f"{last}年指标达标情况"]
    rows = []
    for code in order:
        g = by_city[code]
        row = [esc(names.get(code, code)), fmt(_at(g, first, "health_index")),
               fmt(_at(g, last, "health_index")), _signed(changes[code])]
        if show_method:
            real = same_method.get(code)
            row += [_signed(real), _signed(None if real is None or changes[code] is None
                                           else changes[code] - real)]
        if show_rank:
            row.append(fmt(_at(g, last, "rank_in_province"), 0))
        if show_rank_change:
            row.append(_signed(_difference(_at(g, first, "rank_in_province"),
                                           _at(g, last, "rank_in_province")), 0))
        row.append(_attained(yearly, [code], last) or "—")
        rows.append(row)
    lacking = [names.get(c, c) for c in by_city if c not in both]
    if lacking:
        gaps.append(f"{esc_list(lacking)}缺少{first}年或{last}年指数,变化以“—”表示。")
    if not show_rank:
        gaps.append(f"{last}年有排名的设区市不足两个,不作排名。")

    if both:
        mean_first = sum(float(_at(by_city[c], first, "health_index")) for c in both) / len(both)
        mean_last = sum(float(_at(by_city[c], last, "health_index")) for c in both) / len(both)
        attained_first = _attained(yearly, both, first, "项次")
        attained_last = _attained(yearly, both, last, "项次")
        headline = (f"{first}—{last}年,全省{len(both)}个设区市城市健康指数平均由 "
                    f"<b>{fmt(mean_first)}</b>{_beside(first, attained_first)}变为 "
                    f"<b>{fmt(mean_last)}</b>{_beside(last, attained_last)}")
        if len(both) >= MIN_RANKED:
            best = max(round(changes[c], 1) for c in both)
            leaders = [names.get(c, c) for c in both if round(changes[c], 1) == best]
            if best > 0:
                headline += (f",提高最多的是 <b>{esc_list(leaders)}</b>"
                             f"({'并列,' if len(leaders) > 1 else ''}{best:+.1f})")
            else:
                headline += ",没有设区市的指数提高"
    else:
        headline = f"没有设区市同时有{first}年和{last}年指数,无法计算变化"
    series = {names.get(c, c): [number(_at(g, y, "health_index")) for y in years]
              for c, g in sorted(by_city.items())}
    chart = charts.to_data_uri(charts.lines(
        years, series, f"{first}—{last}年 各设区市城市健康指数", unit="指数"))
    pictures = f'<img alt="城市健康指数变化" src="{chart}">'
    pictures += _change_map(same_method if show_method else changes, first, last,
                            show_method, gaps)
    section = (f'<div class="charts">{pictures}</div>'
               + _method_paragraph(index, changes, same_method, names, first, last, gaps)
               + table(headers, rows, set(range(1, len(headers) - 1))))
    return headline, section


def _change_map(changes: dict[str, float | None], first: int, last: int, same_method: bool,
                gaps: list[str]) -> str:
    """The cities coloured by their index change over the years shown (under one
    method when the release has it); a city without both years is hatched (无数据)."""
    known = {c: v for c, v in changes.items() if v is not None}
    if not known:
        return ""
    codes = maps.areas_of("city")
    lacking = [maps.name_of(c) for c in codes if c not in known]
    if lacking:
        gaps.append(f"{esc_list(lacking)}缺少{first}年或{last}年指数,变化分布图中以灰色斜线"
                    "(无数据)表示。")
    method = "(同一方法)" if same_method else ""
    figure = maps.choropleth(known, codes, f"{first}—{last}年 城市健康指数变化{method}",
                             "指数变化", kind="diverging", cmap="RdBu",
                             frame_code=maps.province_code())
    return maps.map_img(figure, "城市健康指数变化分布图")


def _method_paragraph(index: pd.DataFrame, changes: dict, same_method: dict,
                      names: dict[str, str], first: int, last: int, gaps: list[str]) -> str:
    """How much of the change is the method's: the change under one method beside it.

    Stated over the cities that have both years under both methods; when the release
    holds no index under one method, the page says that its changes include the
    method's."""
    both = [c for c, real in same_method.items()
            if real is not None and changes.get(c) is not None]
    if not both:
        gaps.append(f"发布版本未含按同一方法重算的指数,{first}—{last}年指数变化包含指标体系"
                    "和权重调整的影响,不全是实际变化。")
        return ""
    method_years = sorted({int(y) for y in index.method_year.dropna()})
    method_zh = f"{method_years[-1]}年" if len(method_years) == 1 else "最后一年"
    naive = sum(changes[c] for c in both) / len(both)
    real = sum(same_method[c] for c in both) / len(both)
    text = (f"按{method_zh}的指标体系和维度权重重算各年指数(同一方法),{first}—{last}年"
            f"{len(both)}个设区市指数平均变化 <b>{_signed(real)}</b>,各年自身口径为 "
            f"<b>{_signed(naive)}</b>,其中 <b>{_signed(naive - real)}</b> 来自指标体系和权重的调整")
    if round(naive, 1) != 0:
        text += f"(占{abs(naive - real) / abs(naive) * 100:.0f}%)"
    largest = max(both, key=lambda c: (abs(changes[c] - same_method[c]), c))
    part = changes[largest] - same_method[largest]
    if round(part, 1) != 0:
        text += (f";方法调整影响最大的是{esc(names.get(largest, largest))}"
                 f"({_signed(part)}")
        text += (f",占其变化的{abs(part) / abs(changes[largest]) * 100:.0f}%)"
                 if round(changes[largest], 1) != 0 else ")")
    return f"<p>{text}。</p>"


def _framework_switch(trajectory: pd.DataFrame) -> str:
    """The years in which the check's primary framework changed, in the trajectory's own
    words: a trajectory across the switch says so instead of joining the two silently
    (releases before the frameworks were published have no such column)."""
    if trajectory.empty or "is_framework_switch_year" not in trajectory.columns:
        return ""
    switches = (trajectory[trajectory.is_framework_switch_year.fillna(False).astype(bool)]
                .sort_values(["period_year", "area_code"])
                .drop_duplicates("period_year"))
    return "".join(f'<p class="miss">{esc(note)}。</p>'
                   for note in switches.framework_note_zh.dropna())


def _overlap_warning(overlap: pd.DataFrame) -> str:
    """One line when dimension pairs correlate above the threshold across the cities in
    the last year of the period that has correlations (nothing otherwise)."""
    if overlap.empty or overlap.correlation.notna().sum() == 0:
        return ""
    scored = overlap[overlap.correlation.notna()]
    year = int(scored.period_year.max())
    latest = scored[scored.period_year == year]
    over = latest[latest.is_over_threshold.fillna(False).astype(bool)]
    if over.empty:
        return ""
    top = over.sort_values("correlation", ascending=False).iloc[0]
    threshold = float(top.warning_threshold)
    sentence = (f"维度重叠提示:{year}年设区市间{len(over)}对维度(共{len(latest)}对)得分"
                f"相关系数超过{threshold:g},最高为{esc(top.dimension_name_zh_a)}与"
                f"{esc(top.dimension_name_zh_b)}({float(top.correlation):.3f});"
                "这些维度反映的情况高度重合,其变化不宜视为相互独立的进展。")
    return f'<p class="miss">{sentence}</p>'


def _dimension_section(dims_by_year: pd.DataFrame, names: dict[str, str],
                       gaps: list[str]) -> str:
    dimensions = sorted(seed_rows("ref_dimensions"), key=lambda d: int(d["sort_order"]))
    cols = [f"score_{d['dimension_code'].lower()}" for d in dimensions]
    headers = ["设区市"] + [d["dimension_name_zh"] for d in dimensions]
    scored = (dims_by_year[dims_by_year[cols].notna().any(axis=1)] if not dims_by_year.empty
              else dims_by_year)
    years = sorted(int(y) for y in scored.period_year.unique()) if not scored.empty else []
    if not years:
        return gap("发布版本中无本规划期的设区市维度得分,无法评估维度变化。")
    first, last = years[0], years[-1]
    if len(years) < 2:
        rows = [[esc(names.get(c, c))] + [fmt(g[col].iloc[0]) for col in cols]
                for c, g in scored.groupby("area_code")]
        return (gap(f"仅有{first}年一年维度得分,无法计算维度得分变化,不绘制趋势图;"
                    f"下表为{first}年得分。")
                + f"<h3>{first}年八个维度得分</h3>"
                + table(headers, rows, set(range(1, len(headers)))))
    rows, incomplete = [], False
    for code, group in scored.groupby("area_code"):
        by_year = group.set_index("period_year")
        cells = [_signed(_difference(_at(by_year, last, col), _at(by_year, first, col)))
                 for col in cols]
        incomplete |= "—" in cells
        rows.append([esc(names.get(code, code))] + cells)
    if incomplete:
        gaps.append(f"部分设区市缺少{first}年或{last}年维度得分,其变化以“—”表示。")
    means = scored.groupby("period_year")[cols].mean()
    chart = charts.to_data_uri(charts.lines(
        [int(y) for y in means.index],
        {d["dimension_name_zh"]: [number(v) for v in means[col]]
         for d, col in zip(dimensions, cols, strict=True)},
        f"{first}—{last}年 全省设区市八个维度平均得分", unit="得分"))
    return (f'<div class="charts"><img alt="维度得分变化" src="{chart}"></div>'
            + f"<h3>{first}—{last}年八个维度得分变化</h3>"
            + table(headers, rows, set(range(1, len(headers)))))


def _attainment_section(attainment: pd.DataFrame, names: dict[str, str], start: int,
                        end: int, gaps: list[str]) -> tuple[str, str]:
    """(leader sentence or '', section) of the end-of-period attainment."""
    if attainment.empty:
        gaps.append(f"发布版本中无{start}—{end}年规划期的期末目标评估,无法评估期末目标达成。")
        return "", gap("无本规划期的期末目标评估数据。") + "<h3>达标率最低的指标</h3>" + gap(
            "无法计算。")
    assessed = attainment[attainment.assessment_status.ne("no_data").fillna(False)
                          .astype(bool)]
    rates = {}
    rows = []
    for code, group in attainment.groupby("area_code"):
        counts = group.assessment_status.value_counts()
        done = len(group) - int(counts.get("no_data", 0))
        rate = 100 * counts.get("attained", 0) / done if done else None
        if rate is not None:
            rates[code] = rate
        rows.append((rate, [esc(names.get(code, group.area_name_zh.iloc[0]))]
                     + [str(int(counts.get(s, 0))) for s in STATUS_ZH] + [fmt(rate)]))
    rows.sort(key=lambda r: (r[0] is None, -(r[0] or 0)))
    section = table(["设区市"] + list(STATUS_ZH.values()) + ["达标率%"], [r for _, r in rows],
                    {1, 2, 3, 4, 5})
    if assessed.empty:
        gaps.append(f"期末目标达成无法评估:全部{len(attainment)}项城市指标记录均为“数据不足”"
                    "(缺少起始年份或期末年份的数值,或两者为同一年),不作达标率比较。")
        return "", (gap("全部指标均为“数据不足”,无法计算达标率。") + section
                    + "<h3>达标率最低的指标</h3>" + gap("无法计算。"))
    start_years = sorted({int(y) for y in assessed.start_year.dropna()})
    end_years = sorted({int(y) for y in assessed.end_year.dropna()})
    stands_on = (f"<p>期末目标评估依据各指标的起始值({years_zh(start_years)})"
                 f"和期末值({years_zh(end_years)})。</p>")
    if end_years and end_years[-1] < end:
        gaps.append(f"规划期末({end}年)的指标值尚无数据,期末目标评估的期末值取"
                    f"{years_zh(end_years)}。")
    no_data = len(attainment) - len(assessed)
    if no_data:
        gaps.append(f"{no_data}项城市指标记录数据不足,未计入达标率。")
    leader = ""
    if len(rates) >= MIN_RANKED:
        best = max(round(r, 1) for r in rates.values())
        tops = [names.get(c, c) for c, r in rates.items() if round(r, 1) == best]
        leader = (f"期末指标达标率最高的是 <b>{esc_list(tops)}</b>"
                  f"({'并列,' if len(tops) > 1 else ''}{best:.1f}%)")
    else:
        gaps.append("有达标率的设区市不足两个,不作达标率比较。")
    by_indicator = (assessed.assign(attained=lambda f: f.assessment_status.eq("attained"))
                    .groupby(["indicator_code", "indicator_name_zh"], dropna=False)
                    .agg(rate=("attained", "mean"), cities=("area_code", "nunique"))
                    .reset_index())
    by_indicator = by_indicator[by_indicator.cities >= MIN_RANKED]
    weakest = by_indicator.sort_values(["rate", "indicator_code"]).head(10)
    weakest_rows = [[esc(r.indicator_code), esc(r.indicator_name_zh), str(int(r.cities)),
                     fmt(100 * r.rate, 0)] for r in weakest.itertuples()]
    weakest_html = (table(["代码", "指标", "参评设区市", "设区市达标率%"], weakest_rows, {2, 3})
                    if weakest_rows else gap("没有指标在两个及以上设区市可评估,不作比较。"))
    return leader, stands_on + section + "<h3>达标率最低的指标</h3>" + weakest_html


def _at(frame: pd.DataFrame, year: int, column: str):
    """The value of a city's column in a year (None when the year is missing)."""
    if year not in frame.index:
        return None
    value = frame.at[year, column]
    return None if missing(value) else value


def _difference(later, earlier) -> float | None:
    if missing(later) or missing(earlier):
        return None
    return float(later) - float(earlier)


def _signed(value, digits: int = 1) -> str:
    """+1.5, −2 or 0.0 (a computed zero, unsigned); "—" when it cannot be computed."""
    if missing(value):
        return "—"
    if round(float(value), digits) == 0:
        return f"{0:.{digits}f}"
    return f"{value:+.{digits}f}"


def write_five_year_report(label: str, release_dir: Path | None = None,
                           out_dir: Path | None = None) -> ReportSet:
    """The plan period's assessment report as HTML and as a workbook."""
    with release(release_dir, label) as (con, manifest):
        plan = assessed_plan(label, manifest)
        start, end = plan.first_year, plan.last_year
        require_period(con, manifest, plan.label, start - 1, end, "index trajectory")
        frames = assessment_frames(con, plan)
    html_text = assessment_report(plan, manifest, frames)
    return save_report(plan.label, out_dir, f"五年评估报告_{start}-{end}.html", html_text,
                       f"五年评估数据_{start}-{end}.xlsx", f"{start}—{end}年五年评估",
                       {"指数变化": frames["trajectory"], "维度得分": frames["dimensions"],
                        "期末目标达成": frames["attainment"],
                        "维度相关": frames["overlap"]})
