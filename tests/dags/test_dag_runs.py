"""The DAGs run through Airflow on the demo data and produce what they promise.

One module-scoped platform home: the demo deliveries are generated once and the
project's feed server runs on loopback. annual_health_check must succeed and publish
the index; the monthly dispatch pulls the feeds and registers of a month; the
five-year assessment and the annual appraisal follow the annual release; then a bad
delivery is dropped and the annual run must fail only that source, still build and
publish from what passed, and end failed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest

from cityhealth.core import settings as settings_module
from tests.geography import CITIES, FIRST_CITY, PROVINCE

pytestmark = pytest.mark.slow

CHECK_YEAR = 2025
MONTH = "2025-07"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def feed_server() -> Iterator[str]:
    """The project's feed server as its own process on loopback, as in a deployment."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "cityhealth.demo.feed_server", "--port",
                                str(port), "--token", "dag-test-token"])
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/health", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, feed_server: str) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("platform")
    saved = dict(os.environ)
    os.environ["CITYHEALTH_HOME"] = str(home)
    os.environ["CITYHEALTH_FEED_BASE_URL"] = feed_server
    os.environ["CITYHEALTH_FEED_TOKEN"] = "dag-test-token"
    # these runs write every report kind as a deployment does: HTML, Word and PDF
    os.environ["CITYHEALTH_REPORT_DOCUMENTS"] = "docx,pdf"
    for name in list(os.environ):
        if name.startswith("AIRFLOW"):
            del os.environ[name]
    settings_module.settings.cache_clear()
    from cityhealth.demo.generator import generate
    from cityhealth.orchestration.airflow_env import airflow_environment, prepare_airflow

    os.environ.update(airflow_environment())
    cfg = settings_module.settings()
    cfg.ensure_dirs()
    generate(cfg.landing_dir, cfg.profile)
    prepare_airflow(home / "airflow.log")
    yield home
    os.environ.clear()
    os.environ.update(saved)
    settings_module.settings.cache_clear()


def run(home: Path, dag_id: str = "annual_health_check", logical_date: str | None = None,
        conf: dict | None = None):
    from cityhealth.orchestration.airflow_env import logical_date_for_check_year, run_dag

    return run_dag(dag_id, logical_date or logical_date_for_check_year(CHECK_YEAR),
                   home / "airflow.log", conf=conf)


def query_latest(sql: str, params: list | None = None) -> list[tuple]:
    from cityhealth.warehouse.release import open_latest

    con = open_latest()
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_first_run_succeeds_and_publishes_the_index(platform: Path) -> None:
    result = run(platform)
    assert result.state == "success", (result.failed_tasks, result.log_file)
    assert all(state == "success" for state in result.task_states.values())
    # how long each task ran, read back from Airflow, by part
    assert set(result.task_seconds) == set(result.task_states)
    parts = result.task_time()
    assert min(parts["ingest and validation"], parts["dbt"], parts["reports"]) > 0
    assert parts["total"] == pytest.approx(sum(result.task_seconds.values()))
    from cityhealth.warehouse.release import open_latest

    con = open_latest()
    rows = con.execute(
        "select area_code, health_index, rank_in_province from pub_health_index "
        "where area_level = 'city' and period_year = ? order by rank_in_province",
        [CHECK_YEAR]).fetchall()
    con.close()
    assert sorted(r[0] for r in rows) == sorted(c["area_code"] for c in CITIES)
    assert [r[2] for r in rows] == list(range(1, len(CITIES) + 1))
    assert all(0 < r[1] < 100 for r in rows)


def test_the_run_wrote_an_offline_report_per_city(platform: Path) -> None:
    reports = sorted((platform / "reports" / str(CHECK_YEAR)).glob("城市体检报告_*.html"))
    assert len(reports) == len(CITIES)
    first = next(p for p in reports if FIRST_CITY["area_code"] in p.name)
    text = first.read_text(encoding="utf-8")
    assert f"{FIRST_CITY['area_name_zh']}{CHECK_YEAR}年度城市体检报告" in text
    assert "城市健康指数" in text and "排名第" in text
    # the counties' map, the four-level check's problem objects, radar, ranking
    assert text.count("data:image/png;base64,") == 4
    for report in reports:  # Word and PDF beside each city's page
        assert report.with_suffix(".docx").is_file() and report.with_suffix(".pdf").is_file()
    assert "http://" not in text and "https://" not in text
    assert "一、四级体检" in text  # 2025 is checked on the four levels: they come first
    assert "未达标" in text and "四、问题诊断" in text
    assert (platform / "reports" / str(CHECK_YEAR) / f"城市体检数据_{CHECK_YEAR}.xlsx").is_file()


def test_the_readme_dags_test_command_runs_an_earlier_check_year(platform: Path) -> None:
    """The README's by-hand `airflow dags test` (bare CLI, AIRFLOW_HOME only): check year
    2023 after 2025 builds 2023's release and reports; `latest` stays on 2025."""
    from cityhealth.orchestration.airflow_env import _airflow, _json_part
    from tests import readme

    command = readme.command(".venv/bin/airflow dags test")
    logical_date = command.split()[-1]
    cwd = readme.workdir(platform.parent / f"readme-{platform.name}", platform)
    # Word and PDF are the first run's to show (and test): this run writes the pages only
    env = readme.environment(platform, CITYHEALTH_FEED_BASE_URL=os.environ[
        "CITYHEALTH_FEED_BASE_URL"], CITYHEALTH_FEED_TOKEN="dag-test-token",
        CITYHEALTH_REPORT_DOCUMENTS="none")
    done = readme.run(command, cwd, env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    runs = json.loads(_json_part(_airflow(["dags", "list-runs", "annual_health_check",
                                           "--output", "json"]).stdout))
    wanted = pendulum.parse(logical_date)
    matching = [r for r in runs if r.get("logical_date")
                and pendulum.parse(r["logical_date"]) == wanted]
    assert len(matching) == 1, (logical_date, runs)
    [run] = matching
    assert run["state"] == "success", run
    assert (platform / "releases" / "2023").is_dir()
    assert any((platform / "reports" / "2023").glob("城市体检报告_*.html"))
    latest = (platform / "releases" / "latest").resolve()
    assert latest.parent.name == str(CHECK_YEAR), latest
    assert query_latest("select max(period_year) from pub_health_index") == [(CHECK_YEAR,)]


# An analyst's naive loop on the warehouse file: open read-only, query, close, again;
# a read that meets a writing task just fails and the loop goes on. Prints "ok <n>".
ANALYST_LOOP = """
import sys, time
import duckdb
reads = 0
while True:
    try:
        con = duckdb.connect(sys.argv[1], read_only=True)
        con.execute("select count(*) from raw.load_batches").fetchone()
        con.close()
        reads += 1
        print("ok", reads, flush=True)
    except duckdb.Error:
        pass
    time.sleep(0.01)
"""


def test_monthly_dispatch_pulls_the_month_and_publishes(platform: Path) -> None:
    """…while an analyst reads the warehouse in a loop: the run still succeeds."""
    from cityhealth.warehouse.connection import read_only

    read_only(timeout=60).close()  # the warehouse exists (the annual run made it)
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST_LOOP, str(platform / "warehouse" / "cityhealth.duckdb")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        result = run(platform, "monthly_dispatch", "2025-08-01T06:00:00+08:00")
    finally:
        os.killpg(analyst.pid, signal.SIGKILL)
        reads = analyst.communicate(timeout=30)[0].split()
    assert result.state == "success", (result.failed_tasks, result.log_file)
    assert reads.count("ok") > 10, "the analyst's loop never got to read"
    assert result.task_states["feed_ee_monthly.ingest"] == "success"
    assert result.task_states["project_register.validate"] == "success"
    from cityhealth.warehouse.connection import connect

    con = connect(read_only=True)
    periods = con.execute("select source_id, period, status from raw.load_batches "
                          "where period = ? order by source_id", [MONTH]).fetchall()
    con.close()
    assert {(s, st) for s, _, st in periods} >= {
        ("feed_ee_monthly", "promoted"), ("feed_hurd_monthly", "promoted"),
        ("feed_um_monthly", "promoted"), ("task_register", "promoted"),
        ("project_register", "promoted")}
    assert (platform / "releases" / MONTH).is_dir()
    assert result.task_states["write_reports"] == "success"
    dispatch = platform / "reports" / MONTH / f"月度调度_{MONTH}.html"
    assert (f"{PROVINCE['area_name_zh']}城市体检评估{MONTH[:4]}年{int(MONTH[5:])}月调度"
            in dispatch.read_text(encoding="utf-8"))
    assert dispatch.with_suffix(".docx").is_file() and dispatch.with_suffix(".pdf").is_file()


def test_quarterly_bulletin_pulls_the_quarter_publishes_and_names_cities(
        platform: Path) -> None:
    """The monthly run before built the whole project for 2025 (the run before it was
    2023's), so this run rebuilds only what the feeds and registers feed: the reference
    data unchanged, and its release is the one a whole build publishes."""
    log_file = platform / "airflow.log"
    before = log_file.stat().st_size
    result = run(platform, "quarterly_bulletin", "2025-10-01T06:00:00+08:00")
    assert result.state == "success", (result.failed_tasks, result.log_file)
    assert result.task_states["feed_ps_quarterly.ingest"] == "success"
    bulletin = platform / "reports" / "2025-Q3" / "季度通报_2025-Q3.html"
    text = bulletin.read_text(encoding="utf-8")
    assert "2025年第3季度通报" in text and "排名靠后" in text
    assert bulletin.with_suffix(".docx").is_file() and bulletin.with_suffix(".pdf").is_file()

    with open(log_file, encoding="utf-8", errors="replace") as log:
        log.seek(before)
        logged = log.read()
    assert "the seeds, their staging views, configuration and tests are unchanged" in logged
    assert logged.count("rebuilds only what the feeds and registers feed") == 1, (
        "the models step: only the feeds' descendants")
    from cityhealth.orchestration.pipeline import DBT_STEPS, build_step
    from cityhealth.warehouse import dbt_state
    from cityhealth.warehouse.connection import write_slot
    from cityhealth.warehouse.release import publish

    narrowed = (platform / "releases" / "latest-quarterly").resolve()
    # the narrowed build recorded the warehouse as what a whole build makes: a whole
    # build now would be left out, so the record is dropped to compare with one
    assert build_step("models", "2025-Q3") == "unchanged"
    with write_slot() as con:
        dbt_state.forget(con, dbt_state.WHOLE)
    for step in DBT_STEPS:
        assert build_step(step, "2025-Q3") in ("whole", "reference unchanged")
    whole = publish("2025-Q3", run_id="whole-build").path
    assert _differing_tables(narrowed, whole) == []


def _differing_tables(first: Path, second: Path) -> list[str]:
    """The tables of two releases whose rows differ (floating-point values compared to
    9 significant digits: a sum may end in other bits when DuckDB adds in another order)."""
    import duckdb

    con = duckdb.connect()
    con.execute("create macro digits9(x) as case when isfinite(x) then printf('%.8e', x) "
                "else x::varchar end")
    con.execute(f"attach '{first / 'published.duckdb'}' as a (read_only)")
    con.execute(f"attach '{second / 'published.duckdb'}' as b (read_only)")
    tables = sorted(con.execute("select distinct database_name || '|' || table_name "
                                "from duckdb_tables() where database_name in ('a', 'b')")
                    .fetchall())
    names = {t.split("|")[1] for (t,) in tables}
    differing = []
    for table in sorted(names):
        columns = con.execute("select column_name, data_type from duckdb_columns() where "
                              "database_name = 'a' and table_name = ?", [table]).fetchall()
        if not columns:
            differing.append(f"{table}: only in {second}")
            continue
        select = ", ".join(
            f'digits9("{c}")' if kind in ("DOUBLE", "FLOAT") else
            f'list_transform("{c}", x -> digits9(x))' if kind in ("DOUBLE[]", "FLOAT[]")
            else f'"{c}"' for c, kind in columns)
        for left, right in (("a", "b"), ("b", "a")):
            extra = con.execute(f'select count(*) from (select {select} from {left}."{table}" '
                                f'except all select {select} from {right}."{table}")'
                                ).fetchone()[0]
            if extra:
                differing.append(f"{table}: {extra} rows only in {left}")
    con.close()
    return differing


def test_five_year_assessment_and_appraisal_follow_the_annual_release(platform: Path) -> None:
    """Both build with the vars of the plan's last check year, which the warehouse was
    last built with from the same deliveries: their models step leaves dbt out."""
    log_file = platform / "airflow.log"
    before = log_file.stat().st_size
    assessment = run(platform, "five_year_assessment", "2026-01-02T00:00:00+08:00",
                     conf={"check_year": CHECK_YEAR})
    assert assessment.state == "success", (assessment.failed_tasks, assessment.log_file)
    assert assessment.task_states["publish_release"] == "success"
    assert (platform / "releases" / "plan-2021-2025").is_dir()
    assert assessment.task_states["write_reports"] == "success"
    report = platform / "reports" / "plan-2021-2025" / "五年评估报告_2021-2025.html"
    assert report.is_file()
    assert report.with_suffix(".docx").is_file() and report.with_suffix(".pdf").is_file()
    appraisal = run(platform, "annual_appraisal", "2026-01-03T00:00:00+08:00",
                    conf={"check_year": CHECK_YEAR})
    assert appraisal.state == "success", (appraisal.failed_tasks, appraisal.log_file)
    assert (platform / "releases" / f"appraisal-{CHECK_YEAR}").is_dir()
    with open(log_file, encoding="utf-8", errors="replace") as log:
        log.seek(before)
        logged = log.read()
    assert logged.count("not built again") == 2, "the models step of each run left out"
    assert logged.count("the reference step is left out") == 2
    assert "dbt build --select" not in logged  # --select or --selector


def test_a_dbt_build_by_hand_makes_the_next_run_build_again(platform: Path) -> None:
    """A build from a shell (other vars, a selection) forgets the record that the
    warehouse is what the scheduled build makes: the next run builds again."""
    from cityhealth.orchestration.pipeline import build_step, dbt_vars
    from cityhealth.warehouse.dbt import run_dbt

    assert build_step("models", str(CHECK_YEAR)) == "unchanged"
    run_dbt(["build", "--select", "dim_area"], vars=dbt_vars("2023"))
    assert build_step("models", str(CHECK_YEAR)) == "whole"


def test_the_five_year_assessment_skips_years_inside_the_plan_period(platform: Path) -> None:
    result = run(platform, "five_year_assessment", "2026-01-04T00:00:00+08:00",
                 conf={"check_year": 2023})
    assert result.state == "success"
    assert result.task_states["closes_plan_period"] == "success"
    assert result.task_states["publish_release"] == "skipped"


def test_a_bad_delivery_fails_its_source_but_not_the_build(
        platform: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYHEALTH_REPORT_DOCUMENTS", "none")  # the pages are not looked at
    landing = platform / "landing" / "dept_wr" / str(CHECK_YEAR)
    [delivered] = list(landing.iterdir())
    lines = delivered.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[5].split(",")
    cells[-1] = "数据待补"  # text in a numeric column, data row 5
    lines[5] = ",".join(cells)
    (landing / "水利局_更正版.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run(platform)
    assert result.state == "failed"
    assert result.task_states["dept_wr.ingest"] == "failed"
    assert result.task_states["dept_ee.ingest"] == "success"
    assert result.task_states["dbt.models"] == "success"
    assert result.task_states["publish_release"] == "success"
    assert result.task_states["all_batches_valid"] == "upstream_failed"

    from cityhealth.warehouse.connection import connect

    con = connect(read_only=True)
    status, error = con.execute(
        "select status, error from raw.load_batches where original_name like '%更正版%'"
    ).fetchone()
    con.close()
    assert status == "quarantined"
    assert "dept_wr" in error and "row 5" in error and "数据待补" in error, error
    assert any((platform / "quarantine").iterdir())
    log = result.log_file.read_text(encoding="utf-8", errors="replace")
    assert "水利局_更正版.csv" in log
