"""Every command in the README runs, as written, and does what the README says.

Commands are read from README.md itself (tests/readme.py), so a command edited there
is the command tested here; a new command without a test fails
``test_every_readme_command_is_run_by_a_test``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from cityhealth.core.settings import REPO_ROOT
from tests import readme
from tests.geography import CITIES, COUNTIES

HERE = "tests/test_readme.py"
DAGS = "tests/dags"
# program prefix → the test that runs it
RUN_BY = {
    "make airflow-ui":
        f"{HERE}::test_make_airflow_ui_shows_the_login_and_stops_every_service",
    ".venv/bin/airflow backfill create":
        f"{DAGS}/test_airflow_services.py::test_backfill_an_earlier_year_with_the_readme_command",
    ".venv/bin/airflow dags test":
        f"{DAGS}/test_dag_runs.py::test_the_readme_dags_test_command_runs_an_earlier_check_year",
    ".venv/bin/python -m cityhealth.demo.feed_server":
        f"{HERE}::test_the_feed_server_answers_the_readme_curl",
    "curl ": f"{HERE}::test_the_feed_server_answers_the_readme_curl",
    ".venv/bin/python -c": f"{HERE}::test_the_python_one_liners",
    ".venv/bin/duckdb": f"{HERE}::test_the_duckdb_command_line_and_the_example_query",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_readme_command_is_run_by_a_test() -> None:
    commands = readme.commands()
    assert len(commands) >= 8, commands
    for command in commands:
        if command in readme.SET_UP:
            continue
        program = readme._program(command)
        owners = [test for prefix, test in RUN_BY.items() if program.startswith(prefix)]
        assert owners, f"README command without a test: {command}"
        path, name = owners[0].split("::")
        assert f"def {name}(" in (REPO_ROOT / path).read_text(encoding="utf-8"), owners[0]


def test_the_python_one_liners(demo_platform, tmp_path: Path) -> None:
    """The analyst's queries and the report rewrite, against the demo platform."""
    cwd = readme.workdir(tmp_path / "work", demo_platform.home)
    env = readme.environment(demo_platform.home)
    one_liners = [c for c in readme.commands() if c.startswith(".venv/bin/python -c")]
    assert len(one_liners) >= 3, one_liners
    for command in one_liners:
        done = readme.run(command, cwd, env, timeout=600)
        assert done.returncode == 0, (command, done.stderr[-3000:])
        if "pub_health_index" in command:
            cities, years = len(demo_platform.cities), len(demo_platform.years)
            assert "area_code" in done.stdout and "rows" in done.stdout, done.stdout[-2000:]
            assert re.search(r"\b(\d+) rows", done.stdout), done.stdout[-2000:]
            assert int(re.search(r"\b(\d+) rows", done.stdout).group(1)) >= cities * years
        if "load_batches" in command:
            assert "promoted" in done.stdout, done.stdout[-2000:]
        match = re.search(r"writer\('(\w+)'\)\('([^']+)'\)", command)
        if match:
            written = demo_platform.home / "reports" / match.group(2)
            assert any(written.glob("*.html")), f"{command} wrote nothing in {written}"


def test_the_duckdb_command_line_and_the_example_query(demo_platform, tmp_path: Path) -> None:
    cwd = readme.workdir(tmp_path / "work", demo_platform.home)
    command = readme.command(".venv/bin/duckdb")
    example = next(sql for sql in readme.sql_blocks() if "pub_health_index" in sql)
    done = readme.run(f"{command} -csv", cwd, readme.environment(demo_platform.home),
                      timeout=120, stdin=example)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = done.stdout.strip().splitlines()
    assert rows[0].startswith("area_name_zh,period_year,health_index")
    cities = len(demo_platform.cities)
    assert len(rows) - 1 == cities * len(demo_platform.years), len(rows)
    # the release is read-only: the command line cannot change it
    done = readme.run(command, cwd, readme.environment(demo_platform.home), timeout=60,
                      stdin="create table x as select 1;")
    assert "read-only" in (done.stdout + done.stderr)


def test_the_boundaries_join_in_the_readme(demo_platform, tmp_path: Path) -> None:
    """The README's map join, through the README's DuckDB command: every area of the
    latest annual release (1 province, its cities, their counties) has its outline."""
    cwd = readme.workdir(tmp_path / "work", demo_platform.home)
    command = readme.command(".venv/bin/duckdb")
    example = next(sql for sql in readme.sql_blocks() if "boundaries.parquet" in sql)
    done = readme.run(f"{command} -csv", cwd, readme.environment(demo_platform.home),
                      timeout=120, stdin=example)
    assert done.returncode == 0, done.stderr[-2000:]
    header, *rows = done.stdout.strip().splitlines()
    assert header == "area_code,area_name_zh,area_level,health_index,wkt_chars"
    expected = demo_platform.query(
        "select area_code, area_level from published.pub_health_index "
        "where period_year = ? order by area_code", [demo_platform.check_year])
    assert len(expected) == 1 + len(CITIES) + len(COUNTIES)
    assert [tuple(r.split(",")[0:3:2]) for r in rows] == expected
    assert all(int(r.split(",")[-1]) > 100 and r.split(",")[3] for r in rows)


def test_the_load_history_query_runs_on_the_warehouse(demo_platform) -> None:
    from cityhealth.warehouse.connection import read_only

    history = next(sql for sql in readme.sql_blocks() if "raw.load_batches" in sql)
    with read_only(demo_platform.warehouse) as con:
        rows = con.execute(history).fetchall()
    assert rows and {row[3] for row in rows} >= {"promoted"}


def test_the_feed_server_answers_the_readme_curl(tmp_path: Path) -> None:
    port = str(free_port())
    server_command = readme.command(".venv/bin/python -m cityhealth.demo.feed_server")
    curl = readme.command("curl ")
    assert "--port 8765" in server_command and "127.0.0.1:8765" in curl
    cwd = readme.workdir(tmp_path / "work", tmp_path / "home")
    env = readme.environment(tmp_path / "home")
    server = subprocess.Popen(["bash", "-c", "exec " + server_command.replace("8765", port)],
                              cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        done = readme.run(curl.replace("8765", port) + " --silent --show-error", cwd, env,
                          timeout=60)
        assert done.returncode == 0, done.stderr
        page = json.loads(done.stdout)
        assert page["period"] == "2025-07" and page["department"] == "EE", page
        assert page["items"], page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.slow
def test_make_airflow_ui_shows_the_login_and_stops_every_service(tmp_path: Path) -> None:
    from cityhealth.demo.airflow_ui import group_members

    port = str(free_port())
    home = tmp_path / "home"
    env = readme.environment(home, CITYHEALTH_AIRFLOW_PORT=port)
    command = readme.command("make airflow-ui")
    process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
            if "Ctrl-C stops" in line:
                break
        printed = "\n".join(lines)
        assert re.search(r"^login: \S+ / \S+", printed, re.M), printed
        assert f"http://127.0.0.1:{port}" in printed
        assert len(lines) < 30, printed  # Airflow's own output goes to the log file
        # the login is shown as soon as Airflow wrote it; the API server may need longer
        for _ in range(120):
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v2/monitor/health",
                                timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(2)
        else:
            raise AssertionError("the Airflow UI never answered")
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        try:
            process.wait(timeout=120)
        finally:
            leftover = group_members(process.pid)
            if leftover:
                os.killpg(process.pid, signal.SIGKILL)
    assert not leftover, f"processes left running after Ctrl-C: {leftover}"
    assert (home / "logs" / "airflow_ui.log").stat().st_size > 0
