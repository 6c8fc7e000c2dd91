"""月度调度 – the monthly dispatch: task and project progress against plan.

For one month (``2025-07``): the 22 plan tasks in every city against their planned
progress, the renewal projects against their schedules and investment plans, and the
overdue and delayed items by responsible department, so that the province's special
team knows whom to call. Reads the month's published release only.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.reference import seed_rows
from reports import charts
from reports.html import WARNING_ZH, ReportSet, esc, fmt, page, release, save_report, table

STATUS_ZH = {"not_started": "未启动", "in_progress": "推进中", "done": "已完成", "delayed": "滞后"}


def _department_names() -> dict[str, str]:
    return {r["department_code"]: r["department_name_zh"] for r in seed_rows("ref_departments")}


def _month_zh(period: str) -> str:
    year, month = period.split("-")
    return f"{year}年{int(month)}月"


def dispatch_frames(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, pd.DataFrame]:
    """The month's task rows, project rows (with the task's lead department), by department."""
    tasks = con.execute(
        "select * from pub_task_progress_monthly where period = ? "
        "order by task_code, city_code", [period]).df()
    projects = con.execute(
        "select p.*, t.lead_department_code from pub_project_progress_monthly p "
        "left join (select distinct task_code, lead_department_code "
        "           from pub_task_progress_monthly) t on p.task_code = t.task_code "
        "where p.period = ? order by p.city_code, p.project_id", [period]).df()
    return {"tasks": tasks, "projects": projects}


def dispatch_report(con: duckdb.DuckDBPyConnection, period: str, manifest: dict,
                    frames: dict[str, pd.DataFrame]) -> str:
    """The dispatch page from the month's frames (``dispatch_frames``)."""
    tasks, projects = frames["tasks"], frames["projects"]
    if tasks.empty and projects.empty:
        raise ValueError(f"the release {manifest['release_id']} has no task or project "
                         f"progress for {period}")
    names = _department_names()
    month = _month_zh(period)
    reported = tasks[tasks.is_reported]
    delayed = tasks[tasks.is_delayed.fillna(False).astype(bool)]
    late = projects[projects.is_overdue.fillna(False).astype(bool)
                    | projects.is_behind_schedule.fillna(False).astype(bool)]

    by_department = []
    for code in sorted(set(tasks.lead_department_code) | set(late.lead_department_code.dropna())):
        dept_tasks = tasks[tasks.lead_department_code == code]
        dept_projects = late[late.lead_department_code == code]
        by_department.append([
            esc(names.get(code, code)), esc(code), str(len(dept_tasks)),
            str(int(dept_tasks.is_delayed.fillna(False).sum())),
            str(int(dept_projects.is_overdue.fillna(False).sum())),
            str(int(dept_projects.is_behind_schedule.fillna(False).sum()))])
    by_department.sort(key=lambda r: (-int(r[3]) - int(r[4]) - int(r[5]), r[1]))

    delayed_rows = [[esc(names.get(r.lead_department_code, r.lead_department_code)),
                     esc(r.task_code), esc(r.task_zh), esc(r.city_name_zh),
                     fmt(r.planned_pct, 0), fmt(r.progress_pct, 0), fmt(r.gap_pct, 0),
                     esc(STATUS_ZH.get(r.reported_status, r.reported_status))]
                    for r in delayed.sort_values(["lead_department_code", "gap_pct"])
                    .itertuples()]
    late_rows = [[esc(names.get(r.lead_department_code, r.lead_department_code or "")),
                  esc(r.project_id), esc(r.project_name), esc(r.area_name_zh),
                  fmt(r.planned_progress_pct, 0), fmt(r.actual_progress_pct, 0),
                  fmt(r.investment_completion_pct, 0),
                  '<span class="miss">逾期</span>' if r.is_overdue else "进度滞后"]
                 for r in late.sort_values(["lead_department_code", "progress_gap_pct"])
                 .itertuples()]
    cities = (projects.groupby("city_code")
              .agg(projects=("project_id", "count"), behind=("is_behind_schedule", "sum"),
                   overdue=("is_overdue", "sum"), invested=("invested_to_date", "sum"),
                   planned=("planned_investment_to_date", "sum"))
              .reset_index())
    city_names = dict(con.execute(
        "select distinct area_code, area_name_zh from pub_health_index "
        "where area_level = 'city'").fetchall())
    city_rows = [[esc(city_names.get(r.city_code, r.city_code)), str(int(r.projects)),
                  str(int(r.behind)), str(int(r.overdue)), fmt(r.invested, 0), fmt(r.planned, 0),
                  fmt(100 * r.invested / r.planned if r.planned else None, 0)]
                 for r in cities.itertuples()]
    chart = ""
    if not cities.empty:
        labels = [city_names.get(c, c) for c in cities.city_code]
        completion = [float(100 * i / p) if p else 0.0
                      for i, p in zip(cities.invested, cities.planned, strict=True)]
        chart = '<div class="charts"><img alt="项目投资完成率" src="{}"></div>'.format(
            charts.to_data_uri(charts.bars(labels, completion,
                                           f"{month} 各设区市更新项目计划投资完成率",
                                           unit="%")))
    body = f"""
<h1>江西省城市体检评估{month}调度</h1>
<p class="note">发布版本 {esc(manifest.get('release_id', ''))} ·
数据来源:pub_task_progress_monthly、pub_project_progress_monthly</p>
<div class="headline">本月报送任务 <b>{len(reported)}</b>/{len(tasks)} 项次,
进度滞后 <b>{len(delayed)}</b> 项次;更新项目 <b>{len(projects)}</b> 个,
进度滞后 <b>{int(projects.is_behind_schedule.fillna(False).sum())}</b> 个,
逾期未完工 <b>{int(projects.is_overdue.fillna(False).sum())}</b> 个。</div>
<h2>一、按责任部门汇总</h2>
{table(["责任部门", "代码", "任务项次", "滞后任务", "逾期项目", "滞后项目"], by_department,
       {2, 3, 4, 5})}
<h2>二、滞后任务清单</h2>
{table(["责任部门", "任务", "任务内容", "设区市", "计划进度%", "实际进度%", "差距", "报送状态"],
       delayed_rows, {4, 5, 6}) if delayed_rows else "<p>本月无滞后任务。</p>"}
<h2>三、城市更新项目进度</h2>
{chart}
{table(["设区市", "项目数", "滞后", "逾期", "累计完成投资(万元)", "计划投资(万元)", "完成率%"],
       city_rows, {1, 2, 3, 4, 5, 6})}
<h2>四、在治问题监测预警</h2>
{_slipping(con)}
<h2>五、逾期和滞后项目清单</h2>
{table(["责任部门", "项目编号", "项目名称", "所在区县", "计划进度%", "实际进度%", "投资完成率%",
        "状态"], late_rows, {4, 5, 6}) if late_rows else "<p>本月无逾期或滞后项目。</p>"}
"""
    return page(f"江西省城市体检评估{month}调度", body)


def _slipping(con: duckdb.DuckDBPyConnection) -> str:
    """Problems under treatment whose monthly or quarterly monitoring is slipping."""
    rows = con.execute(
        "select problem_id, area_name_zh, indicator_name_zh, monitored_period, "
        "monitored_value, unit_zh, monitored_warning_level, project_ids from pub_problem_list "
        "where is_slipping order by monitored_warning_level = 'yellow', city_code, "
        "problem_id").fetchall()
    if not rows:
        return "<p>在治问题的最新监测值均未出现红色预警或恶化趋势。</p>"
    cells = [[esc(p), esc(a), esc(i), esc(period), fmt(v, 2), esc(u), WARNING_ZH.get(w, esc(w)),
              esc("、".join(projects) if projects is not None else "")]
             for p, a, i, period, v, u, w, projects in rows]
    return (f"<p>已有整治项目、但最新监测出现红色预警或恶化趋势的问题 <b>{len(rows)}</b> 个:</p>"
            + table(["问题编号", "地区", "指标", "监测期", "监测值", "单位", "预警", "整治项目"],
                    cells, {4}))


def write_monthly_dispatch(period: str, release_dir: Path | None = None,
                           out_dir: Path | None = None) -> ReportSet:
    """The month's dispatch as HTML and as a workbook of its lists."""
    with release(release_dir) as (con, manifest):
        frames = dispatch_frames(con, period)
        html_text = dispatch_report(con, period, manifest, frames)
    return save_report(period, out_dir, f"月度调度_{period}.html", html_text,
                       f"月度调度_{period}.xlsx", f"{_month_zh(period)}调度",
                       {"任务进度": frames["tasks"], "项目进度": frames["projects"]})
