"""`make demo`: the plan period of the demo province, lived through Airflow.

Generates the demo deliveries (deterministic), prepares the embedded Airflow
(SQLite metadata), starts the departments' feed server on loopback, then runs
through Airflow, oldest first and each on its own data interval:

* ``annual_health_check`` for every demo year (2020–2025 on the demo profile);
* ``five_year_assessment`` of the plan period and ``annual_appraisal`` of its last year;
* ``monthly_dispatch`` for one month and ``quarterly_bulletin`` for one quarter of the
  last year.

It shows each run as it ends and finishes with the index table of the last check year
and each city's change over the plan period, read from the published releases.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from cityhealth.core import reference
from cityhealth.core.periods import Period
from cityhealth.core.settings import settings
from cityhealth.orchestration.airflow_env import (
    DagRunResult,
    PlannedRun,
    airflow_environment,
    logical_date_for,
    prepare_airflow,
    run_in_process,
)

FEED_TOKEN = "demo-token"
DEMO_MONTH = 9  # the month of the last check year the demo dispatches, and its quarter


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def planned_runs(years: tuple[int, ...], plan: Period) -> list[PlannedRun]:
    """The demo's runs, in the order a province lives them."""
    last = years[-1]
    month = Period.parse(f"{last}-{DEMO_MONTH:02d}")
    quarter = Period.parse(f"{last}-Q{(DEMO_MONTH - 1) // 3 + 1}")
    runs = [PlannedRun("annual_health_check", logical_date_for(Period.annual(year)),
                       label=f"一年一体检 {year}") for year in years]
    # The asset-following DAGs, asked for the plan's last year explicitly (conf), at the
    # date the year closes.
    follow = logical_date_for(Period.annual(plan.last_year))
    runs += [
        PlannedRun("five_year_assessment", follow, {"check_year": plan.last_year},
                   label=f"五年一评估 {plan.first_year}–{plan.last_year}"),
        PlannedRun("annual_appraisal", follow, {"check_year": plan.last_year},
                   label=f"每年度考核 {plan.last_year}"),
        PlannedRun("monthly_dispatch", logical_date_for(month), label=f"每月调度 {month.label}"),
        PlannedRun("quarterly_bulletin", logical_date_for(quarter),
                   label=f"每季度通报 {quarter.label}"),
    ]
    return runs


def _report(planned: PlannedRun, result: DagRunResult, seconds: float, console: TextIO) -> None:
    done = sum(1 for s in result.task_states.values() if s in ("success", "skipped"))
    mark = "ok" if result.state == "success" else result.state.upper()
    console.write(f"  {mark:>6}  {planned.label:<24} {seconds:5.0f} s   "
                  f"{done}/{len(result.task_states)} tasks   run {result.run_id}\n")
    parts = result.task_time()
    console.write(f"          task time {parts.pop('total'):.0f} s: "
                  + ", ".join(f"{part} {value:.0f}" for part, value in parts.items() if value)
                  + "\n")
    if result.state != "success":
        console.write(f"          failed tasks: {', '.join(result.failed_tasks)}\n")


def print_summary(check_year: int, plan: Period) -> None:
    """The index of the last check year with its attainment and rank interval, and each
    city's change over the plan period under one method (the current catalogue and
    weights), so that a method change does not read as progress."""
    from cityhealth.warehouse.release import open_latest

    con = open_latest()
    try:
        province = con.execute(
            "select any_value(area_name_zh) from pub_health_index where area_level = 'province'"
        ).fetchone()[0]
        rows = con.execute(
            "select area_code, area_name_zh, health_index, rank_in_province, rank_p05, "
            "rank_p95, indicators_attained, indicators_scored "
            "from pub_health_index where area_level = 'city' and period_year = ? "
            "order by rank_in_province nulls last, area_code",
            [check_year],
        ).fetchall()
        changes = {code: (naive, real) for code, naive, real in con.execute(
            "select area_code, index_change_from_baseline, "
            "index_change_from_baseline_current_method from pub_index_trajectory "
            "where area_level = 'city' and period_year = ? and plan_end = ?",
            [check_year, plan.last_year],
        ).fetchall()}
    finally:
        con.close()
    baseline = plan.first_year - 1
    province = province or reference.province()["area_name_zh"]
    print(f"\n城市健康指数 City health index, {province}, check year {check_year}")
    print(f"{'rank':>4}  {'90% range':>9}  {'code':6}  {'city':8}  {'index':>6}  "
          f"{'attained':>8}  {f'change since {baseline}':>17}  {'of which method':>15}")
    for code, name, index, rank, low, high, attained, scored in rows:
        pad = " " * max(0, 8 - 2 * len(name))  # CJK characters are two columns wide
        naive, real = changes.get(code, (None, None))
        shown = "no baseline" if naive is None or real is None else f"{real:+.1f}"
        method = "" if naive is None or real is None else f"{round(naive - real, 1) + 0.0:+.1f}"
        interval = "" if low is None or high is None else f"{low}–{high}"
        print(f"{'—' if rank is None else rank:>4}  {interval:>9}  {code:6}  {name}{pad}  "
              f"{index:6.1f}  {f'{attained}/{scored}':>8}  {shown:>17}  {method:>15}")
    print(f"({len(rows)} cities; attained = indicators at their standard of those scored; "
          f"change under the {plan.last_year} method, the method's own part beside it)")


def _start_feed_server():
    from cityhealth.demo.feed_server import make_server

    server = make_server("127.0.0.1", 0, token=FEED_TOKEN)
    thread = threading.Thread(target=server.serve_forever, name="feed-server", daemon=True)
    thread.start()
    return server


def main() -> int:
    os.environ.update(airflow_environment())
    cfg = settings()
    cfg.ensure_dirs()
    profile = cfg.profile
    plan = Period.plan_of(profile.check_year)
    log_file = cfg.home / "logs" / "demo_airflow.log"
    started = time.monotonic()

    _step(f"generating the demo deliveries into {cfg.landing_dir}")
    from cityhealth.demo.generator import generate

    written = generate(cfg.landing_dir, profile)
    years = f"{profile.years[0]}–{profile.years[-1]}"
    print(f"    {len(written.files)} files for {years}, "
          f"{written.survey_rows:,} survey respondents", flush=True)

    _step(f"preparing Airflow (metadata: {cfg.home / 'airflow'}; log: {log_file})")
    prepare_airflow(log_file)

    server = _start_feed_server()
    os.environ["CITYHEALTH_FEED_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
    os.environ["CITYHEALTH_FEED_TOKEN"] = FEED_TOKEN
    settings.cache_clear()
    runs = planned_runs(profile.years, plan)
    _step(f"{len(runs)} DAG runs through Airflow, oldest first "
          f"(feeds from {os.environ['CITYHEALTH_FEED_BASE_URL']}; Airflow and dbt log: {log_file})")
    try:
        results = run_in_process(runs, log_file, _report)
    finally:
        server.shutdown()
        server.server_close()
    if len(results) < len(runs) or any(r.state != "success" for r in results):
        print(f"the demo stopped at a failed run; see {log_file}", file=sys.stderr)
        return 1

    print_summary(profile.years[-1], plan)
    print(f"""
Where things are:
  warehouse (DuckDB)       {cfg.warehouse_path}
  releases (BI)            {cfg.releases_dir}  (latest: newest check year; latest-<kind>)
  data-quality results     {cfg.quality_dir}  (Data Docs: data_docs/index.html;
                           tables quality.validation_runs / quality.validation_results)
  reports                  {cfg.reports_dir}  (one folder per period)
  deliveries as received   {cfg.archive_dir}
  Airflow and dbt log      {log_file}
Done in {time.monotonic() - started:.0f} s.""")
    return 0

