"""`make demo`: the annual city health check of Jiangxi on the demo data, through Airflow.

Generates the demo deliveries (deterministic), prepares the embedded Airflow
(SQLite metadata), runs the DAG ``annual_health_check`` for the demo check year
and prints the city health index from the published release.
"""

from __future__ import annotations

import os
import sys
import time

from cityhealth.airflow_env import (
    airflow_environment,
    logical_date_for_check_year,
    prepare_airflow,
    run_dag,
)
from cityhealth.settings import settings

DAG_ID = "annual_health_check"


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def print_health_index(check_year: int) -> None:
    from warehouse.release import open_latest

    con = open_latest()
    try:
        rows = con.execute(
            "select area_code, area_name_zh, health_index, rank_in_province "
            "from pub_health_index where area_level = 'city' and period_year = ? "
            "order by rank_in_province",
            [check_year],
        ).fetchall()
    finally:
        con.close()
    print(f"\n城市健康指数 City health index, Jiangxi, check year {check_year}")
    print(f"{'rank':>4}  {'code':6}  {'city':8}  {'index':>6}")
    for code, name, index, rank in rows:
        pad = " " * (8 - 2 * len(name))  # CJK characters are two columns wide
        print(f"{rank:>4}  {code:6}  {name}{pad}  {index:6.1f}")
    print(f"({len(rows)} cities)")


def main() -> int:
    os.environ.update(airflow_environment())
    cfg = settings()
    cfg.ensure_dirs()
    year = cfg.profile.check_year
    log_file = cfg.home / "logs" / "demo_airflow.log"
    started = time.monotonic()

    _step(f"generating the demo deliveries into {cfg.landing_dir}")
    from ingestion.demo import generate

    written = generate(cfg.landing_dir, cfg.profile)
    years = f"{cfg.profile.years[0]}–{cfg.profile.years[-1]}"
    print(f"    {len(written.files)} files for {years}, "
          f"{written.survey_rows:,} survey respondents")

    _step(f"preparing Airflow (metadata: {cfg.home / 'airflow'}; log: {log_file})")
    prepare_airflow(log_file)

    _step(f"running DAG {DAG_ID} for check year {year} through Airflow")
    result = run_dag(DAG_ID, logical_date_for_check_year(year), log_file)
    done = sum(1 for s in result.task_states.values() if s == "success")
    print(f"    run {result.run_id}: {result.state} ({done}/{len(result.task_states)} tasks ok)")
    if result.state != "success":
        print(f"    failed tasks: {', '.join(result.failed_tasks)}; see {log_file}",
              file=sys.stderr)
        return 1

    print_health_index(year)
    print(f"""
Where things are:
  warehouse (DuckDB)       {cfg.warehouse_path}
  latest release (BI)      {cfg.releases_dir / 'latest' / 'published.duckdb'}
  data-quality results     {cfg.quality_dir}  (Data Docs: data_docs/index.html;
                           tables quality.validation_runs / quality.validation_results)
  reports                  {cfg.reports_dir / str(year)}
  deliveries as received   {cfg.archive_dir}
  Airflow log of this run  {log_file}
Done in {time.monotonic() - started:.0f} s.""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
