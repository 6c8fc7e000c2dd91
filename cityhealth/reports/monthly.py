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

from cityhealth.core.periods import Period
from cityhealth.core.reference import province, seed_rows
from cityhealth.reports import charts
from cityhealth.reports.coverage import (
    basis,
    count_true,
    esc_list,
    flags,
    gap,
    gap_box,
    is_true,
    missing,
    months_zh,
    period_zh,
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
    if not projects.empty:  # a month without task rows: the plan names the lead department
        lead = {r["task_code"]: r["lead_department_code"] for r in seed_rows("ref_plan_tasks")}
        projects["lead_department_code"] = projects.lead_department_code.fillna(
            projects.task_code.map(lead))
    return {"tasks": tasks, "projects": projects}


def dispatch_report(con: duckdb.DuckDBPyConnection, period: str, manifest: dict,
                    frames: dict[str, pd.DataFrame]) -> str:
    """The dispatch page from the month's frames (``dispatch_frames``).

    A month without task or project rows still gets its page: it names the months the
    release holds and says which register is missing, and claims no "no delays".
    """
    tasks, projects = frames["tasks"], frames["projects"]
    names = _department_names()
    month = _month_zh(period)
    gaps: list[str] = []
    held_tasks = _months(con, "pub_task_progress_monthly")
    held_projects = _months(con, "pub_project_progress_monthly")
    if tasks.empty:
        gaps.append(f"发布版本中无{month}的任务进度数据(当月任务台账未入库),"
                    "无法调度任务进度。")
    if projects.empty:
        gaps.append(f"发布版本中无{month}的项目进度数据(当月项目台账未入库),"
                    "无法调度更新项目。")
    held = sorted(set(held_tasks) | set(held_projects))
    registers = "和".join(n for n, frame in (("任务台账", tasks), ("项目台账", projects))
                         if not frame.empty)
    basis_text = (f"本报告依据{month}的{registers}数据" if registers else
                  f"本报告为{month}调度,但发布版本中无当月任务台账和项目台账数据")
    basis_text += (f";发布版本含调度数据的月份:{months_zh(held)}。" if held else
                   ";发布版本中没有任何月份的任务、项目调度数据。")

    reported = tasks[flags(tasks.is_reported)] if not tasks.empty else tasks
    delayed = tasks[flags(tasks.is_delayed)] if not tasks.empty else tasks
    unreported = len(tasks) - len(reported)
    behind = flags(projects.is_behind_schedule) if not projects.empty else pd.Series(dtype=bool)
    overdue = flags(projects.is_overdue) if not projects.empty else pd.Series(dtype=bool)
    late = projects[overdue | behind] if not projects.empty else projects

    if tasks.empty:
        task_text = "本月无任务进度数据"
    else:
        task_text = (f"本月报送任务 <b>{len(reported)}</b>/{len(tasks)} 项次,"
                     f"进度滞后 <b>{len(delayed)}</b> 项次")
        if unreported:
            gaps.append(f"{unreported}项次任务本月未报送,无法判断是否滞后。")
    if projects.empty:
        project_text = "本月无更新项目进度数据"
    else:
        project_text = (f"更新项目 <b>{len(projects)}</b> 个,"
                        f"进度滞后 <b>{int(behind.sum())}</b> 个,"
                        f"逾期未完工 <b>{int(overdue.sum())}</b> 个")

    departments = {c for frame in (tasks, late) if not frame.empty
                   for c in frame.lead_department_code.dropna()}
    by_department = []
    for code in sorted(departments):
        dept_tasks = tasks[tasks.lead_department_code == code]
        dept_projects = late[late.lead_department_code == code]
        by_department.append([
            esc(names.get(code, code)), esc(code),
            str(len(dept_tasks)) if not tasks.empty else "—",
            str(count_true(dept_tasks.is_delayed)) if not tasks.empty else "—",
            str(count_true(dept_projects.is_overdue)) if not projects.empty else "—",
            str(count_true(dept_projects.is_behind_schedule)) if not projects.empty else "—"])
    by_department.sort(key=lambda r: (-sum(int(c) for c in r[3:] if c != "—"), r[1]))

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
                  '<span class="miss">逾期</span>' if is_true(r.is_overdue) else "进度滞后"]
                 for r in late.sort_values(["lead_department_code", "progress_gap_pct"])
                 .itertuples()]
    city_names = _city_names(con, tasks)
    department_section = ""
    if tasks.empty and by_department:
        department_section = gap("无本月任务进度数据,任务项次和滞后任务以“—”表示。")
    elif tasks.empty and projects.empty:
        department_section = gap("无本月任务、项目进度数据,无法按责任部门汇总。")
    elif tasks.empty:
        department_section = gap("无本月任务进度数据,无法按责任部门汇总任务;本月无逾期或滞后项目。")
    if by_department:
        department_section += table(["责任部门", "代码", "任务项次", "滞后任务", "逾期项目",
                                     "滞后项目"], by_department, {2, 3, 4, 5})
    if tasks.empty:
        delayed_section = gap(f"无{month}任务进度数据,无法判断任务是否滞后。")
    elif delayed_rows:
        delayed_section = table(["责任部门", "任务", "任务内容", "设区市", "计划进度%", "实际进度%",
                                 "差距", "报送状态"], delayed_rows, {4, 5, 6})
    elif unreported:
        delayed_section = f"<p>已报送的任务均无滞后;{unreported}项次未报送,无法判断。</p>"
    else:
        delayed_section = "<p>本月无滞后任务。</p>"
    project_section = _projects_by_city(projects, behind, overdue, city_names, month, gaps)
    if projects.empty:
        late_section = gap(f"无{month}项目进度数据,无法判断项目是否逾期或滞后。")
    elif late_rows:
        late_section = table(["责任部门", "项目编号", "项目名称", "所在区县", "计划进度%",
                              "实际进度%", "投资完成率%", "状态"], late_rows, {4, 5, 6})
    else:
        late_section = "<p>本月无逾期或滞后项目。</p>"
    title = f"{province()['area_name_zh']}城市体检评估{month}调度"
    body = f"""
<h1>{esc(title)}</h1>
<p class="note">发布版本 {esc(manifest.get('release_id', ''))} ·
数据来源:本发布版本的任务台账和项目台账月度进度</p>
{basis(basis_text)}
<div class="headline">{task_text};{project_text}。</div>
{gap_box(gaps)}
<h2>一、按责任部门汇总</h2>
{department_section}
<h2>二、滞后任务清单</h2>
{delayed_section}
<h2>三、城市更新项目进度</h2>
{project_section}
<h2>四、在治问题监测预警</h2>
{_slipping(con, period)}
<h2>五、逾期和滞后项目清单</h2>
{late_section}
"""
    return page(title, body)


def _months(con: duckdb.DuckDBPyConnection, table_name: str) -> list[str]:
    return [p for (p,) in con.execute(
        f"select distinct period from {table_name} where period is not null order by 1"
    ).fetchall()]


def _city_names(con: duckdb.DuckDBPyConnection, tasks: pd.DataFrame) -> dict[str, str]:
    names = dict(con.execute(
        "select distinct area_code, area_name_zh from pub_health_index "
        "where area_level = 'city'").fetchall())
    if not tasks.empty:
        names.update(tasks.dropna(subset=["city_code", "city_name_zh"])
                     .drop_duplicates("city_code").set_index("city_code").city_name_zh)
    return names


def _projects_by_city(projects: pd.DataFrame, behind: pd.Series, overdue: pd.Series,
                      city_names: dict[str, str], month: str, gaps: list[str]) -> str:
    """Projects, delays and investment by city; the completion chart where it is defined."""
    if projects.empty:
        return gap(f"无{month}项目进度数据。")
    cities = (projects.assign(behind=behind, overdue=overdue,
                              invested=pd.to_numeric(projects.invested_to_date),
                              planned=pd.to_numeric(projects.planned_investment_to_date))
              .groupby("city_code", dropna=False)
              .agg(projects=("project_id", "count"), behind=("behind", "sum"),
                   overdue=("overdue", "sum"),
                   invested=("invested", lambda v: v.sum(min_count=1)),
                   planned=("planned", lambda v: v.sum(min_count=1)))
              .reset_index())
    rate = {r.city_code: (100 * float(r.invested) / float(r.planned)
                          if not (missing(r.invested) or missing(r.planned)) and r.planned > 0
                          else None)
            for r in cities.itertuples()}
    rows = [[esc(city_names.get(r.city_code, r.city_code)), str(int(r.projects)),
             str(int(r.behind)), str(int(r.overdue)), fmt(r.invested, 0), fmt(r.planned, 0),
             fmt(rate[r.city_code], 0)] for r in cities.itertuples()]
    without = [city_names.get(c, c) for c, v in rate.items() if v is None]
    if without:
        gaps.append(f"{esc_list(without)}无截至本月的计划投资或完成投资数据,"
                    "投资完成率以“—”表示,不列入对比图。")
    charted = [(city_names.get(c, c), v) for c, v in rate.items() if v is not None]
    chart = ""
    if charted:
        chart = '<div class="charts"><img alt="项目投资完成率" src="{}"></div>'.format(
            charts.to_data_uri(charts.bars([n for n, _ in charted], [v for _, v in charted],
                                           f"{month} 各设区市更新项目计划投资完成率",
                                           unit="%")))
    return chart + table(["设区市", "项目数", "滞后", "逾期", "累计完成投资(万元)",
                          "计划投资(万元)", "完成率%"], rows, {1, 2, 3, 4, 5, 6})


def _slipping(con: duckdb.DuckDBPyConnection, period: str) -> str:
    """Problems under treatment whose monthly or quarterly monitoring is slipping.

    The monitoring is the latest the release holds; when it is later than the month
    of the dispatch the page says which periods it is.
    """
    rows = con.execute(
        "select problem_id, area_name_zh, indicator_name_zh, monitored_period, "
        "monitored_value, unit_zh, monitored_warning_level, project_ids from pub_problem_list "
        "where is_slipping order by monitored_warning_level = 'yellow', city_code, "
        "problem_id").fetchall()
    monitored = [p for (p,) in con.execute(
        "select distinct monitored_period from pub_problem_list "
        "where monitored_period is not null order by 1").fetchall()]
    if not monitored:
        return gap("发布版本中无在治问题的月度、季度监测数据,无法判断是否出现预警。")
    year, month = (int(x) for x in period.split("-"))
    later = [p for p in monitored if _period_end(p) > (year, month)]
    shown = "、".join(period_zh(p) for p in monitored)
    note = (f'<p class="note">监测期为发布版本中各指标的最新一期({shown})'
            + (",晚于本月调度期" if later else "") + "。</p>")
    if not rows:
        return "<p>在治问题的最新监测值均未出现红色预警或恶化趋势。</p>" + note
    cells = [[esc(p), esc(a), esc(i), esc(period), fmt(v, 2), esc(u), WARNING_ZH.get(w, esc(w)),
              esc("、".join(projects) if not missing(projects) else "")]
             for p, a, i, period, v, u, w, projects in rows]
    return (f"<p>已有整治项目、但最新监测出现红色预警或恶化趋势的问题 <b>{len(rows)}</b> 个:</p>"
            + note
            + table(["问题编号", "地区", "指标", "监测期", "监测值", "单位", "预警", "整治项目"],
                    cells, {4}))


def _period_end(period: str) -> tuple[int, int]:
    """(year, last month) of a monitoring period: 2025-07 → (2025, 7), 2025-Q3 → (2025, 9)."""
    parsed = Period.parse(period)
    return parsed.first_year, parsed.month or 3 * (parsed.quarter or 4)


def write_monthly_dispatch(period: str, release_dir: Path | None = None,
                           out_dir: Path | None = None) -> ReportSet:
    """The month's dispatch as HTML and as a workbook of its lists."""
    year = Period.parse(period).check_year
    with release(release_dir, period) as (con, manifest):
        require_period(con, manifest, period, year, year, "task or project progress")
        frames = dispatch_frames(con, period)
        html_text = dispatch_report(con, period, manifest, frames)
    return save_report(period, out_dir, f"月度调度_{period}.html", html_text,
                       f"月度调度_{period}.xlsx", f"{_month_zh(period)}调度",
                       {"任务进度": frames["tasks"], "项目进度": frames["projects"]})
