"""End to end through the real Airflow services: `airflow standalone` on loopback.

API server, scheduler, DAG processor and triggerer run as Airflow runs them; the test
logs in, triggers annual_health_check through the REST API (v2) without a logical
date (a manual run of "now": the last whole check year), backfills an
earlier check year with the README's `airflow backfill create`, waits for the runs and
reads their task states back through the API. Every Airflow process is stopped with its
process group at the end.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest
import requests

from cityhealth.core import settings as settings_module
from cityhealth.orchestration.pipeline import DBT_STEPS

pytestmark = pytest.mark.slow

DAG_ID = "annual_health_check"
CHECK_YEAR = 2025


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check, timeout: float, every: float = 2.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (requests.RequestException, ValueError, KeyError) as error:
            last = error
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last})")


@pytest.fixture(scope="module")
def airflow_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    home = tmp_path_factory.mktemp("services")
    saved = dict(os.environ)
    os.environ["CITYHEALTH_HOME"] = str(home)
    for name in list(os.environ):
        if name.startswith("AIRFLOW"):
            del os.environ[name]
    settings_module.settings.cache_clear()
    from cityhealth.demo.airflow_ui import group_members, start_standalone, stop_process_group
    from cityhealth.demo.generator import generate
    from cityhealth.orchestration.airflow_env import prepare_airflow

    cfg = settings_module.settings()
    cfg.ensure_dirs()
    generate(cfg.landing_dir, cfg.profile)
    port = free_port()
    log_file = home / "standalone.log"
    os.environ.update({"AIRFLOW_HOME": str(home / "airflow"),
                       # only the runs the tests ask for: unpausing starts no scheduled run
                       "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"})
    prepare_airflow(home / "prepare.log")
    cfg.releases_dir.mkdir(parents=True, exist_ok=True)
    process = start_standalone(port, log_file)
    base = f"http://127.0.0.1:{port}"
    try:
        passwords = home / "airflow" / "simple_auth_manager_passwords.json.generated"
        wait_for("the API server", lambda: requests.get(f"{base}/api/v2/monitor/health",
                                                        timeout=5).ok, 240)
        wait_for("the generated login", passwords.exists, 60, 1)
        user, password = next(iter(json.loads(passwords.read_text()).items()))
        token = requests.post(f"{base}/auth/token", json={"username": user,
                                                          "password": password},
                              timeout=10).json()["access_token"]
        yield base, {"Authorization": f"Bearer {token}"}, port
    finally:
        stop_process_group(process)
        assert not group_members(process.pid), "Airflow services outlived the test"
        os.environ.clear()
        os.environ.update(saved)
        settings_module.settings.cache_clear()
        print(Path(log_file).read_text(encoding="utf-8", errors="replace")[-3000:])


def wait_for_run(api: str, auth: dict, run_id: str) -> tuple[str, dict[str, str]]:
    run = f"{api}/dagRuns/{run_id}"

    def finished():
        state = requests.get(run, headers=auth, timeout=10).json()["state"]
        return state if state in ("success", "failed") else None

    state = wait_for(f"the DAG run {run_id}", finished, 900, 5)
    instances = requests.get(f"{run}/taskInstances", headers=auth, timeout=30,
                             params={"limit": 200}).json()["task_instances"]
    return state, {ti["task_id"]: ti["state"] for ti in instances}


def xcom(api: str, auth: dict, run_id: str, task_id: str):
    return requests.get(f"{api}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/"
                        "return_value", headers=auth, timeout=10).json()["value"]


def test_a_manual_run_without_logical_date_covers_the_last_whole_year(airflow_api) -> None:
    """REST trigger with logical_date null (what the UI's "trigger" may send): the run
    covers the last whole check year, succeeds, and its task logs are clean."""
    base, auth, _ = airflow_api
    api = f"{base}/api/v2/dags/{DAG_ID}"
    wait_for("the DAG to be parsed", lambda: requests.get(api, headers=auth, timeout=10).ok,
             240)
    created = requests.post(f"{api}/dagRuns", headers=auth, timeout=30,
                            json={"dag_run_id": "no_logical_date", "logical_date": None})
    assert created.status_code == 200, created.text
    assert requests.patch(api, headers=auth, json={"is_paused": False},
                          timeout=10).ok
    state, states = wait_for_run(api, auth, "no_logical_date")
    assert states["check_period"] == "success", states
    run_after = requests.get(f"{api}/dagRuns/no_logical_date", headers=auth,
                             timeout=10).json()["run_after"]
    expected = pendulum.parse(run_after).in_timezone("Asia/Shanghai").year - 1
    assert xcom(api, auth, "no_logical_date", "check_period") == str(expected)
    if expected not in settings_module.settings().profile.years:
        pytest.skip(f"the demo has no data for {expected}, the last whole year now")
    assert state == "success", {t: s for t, s in states.items() if s != "success"}
    assert states["dbt.models"] == "success" and states["publish_release"] == "success"
    assert states["announce_release"] == "success"
    assert len(states) >= 40 and set(states.values()) == {"success"}
    # the task logs of a successful run: no error lines, no colour codes
    logs = (Path(os.environ["AIRFLOW_HOME"]) / "logs" / f"dag_id={DAG_ID}"
            / "run_id=no_logical_date")
    dbt_logs = sorted(logs.glob("task_id=dbt.*/attempt=*.log"))
    assert len(dbt_logs) == len(DBT_STEPS), sorted(logs.glob("*"))
    for log in dbt_logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "\x1b[" not in text and "\\u001b[" not in text, log
        assert "leaked semaphore" not in text, log
        assert '"level":"error"' not in text.replace(" ", ""), log
    # paused at creation: unpausing the annual DAG must not have started the others
    for other in ("monthly_dispatch", "quarterly_bulletin", "five_year_assessment"):
        runs = requests.get(f"{base}/api/v2/dags/{other}/dagRuns", headers=auth,
                            timeout=10).json()["dag_runs"]
        assert runs == [], (other, runs)


def test_backfill_an_earlier_year_with_the_readme_command(airflow_api) -> None:
    """`airflow backfill create` for 2022 builds and publishes 2022; latest stays newest."""
    base, auth, port = airflow_api
    api = f"{base}/api/v2/dags/{DAG_ID}"
    from cityhealth.demo.airflow_ui import standalone_environment
    from tests import readme

    command = readme.command(".venv/bin/airflow backfill create")
    assert "2022-01-01" in command and DAG_ID in command
    home = settings_module.settings().home
    cwd = readme.workdir(home.parent / f"readme-{home.name}", home)
    done = readme.run(command, cwd, standalone_environment(port), timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    def backfill_run():
        runs = requests.get(f"{api}/dagRuns", headers=auth, timeout=10,
                            params={"run_type": "backfill"}).json()["dag_runs"]
        return runs[0]["dag_run_id"] if runs else None

    run_id = wait_for("the backfill run", backfill_run, 120, 2)
    state, states = wait_for_run(api, auth, run_id)
    assert state == "success", {t: s for t, s in states.items() if s != "success"}
    assert xcom(api, auth, run_id, "check_period") == "2022"
    cfg = settings_module.settings()
    assert (cfg.releases_dir / "2022").is_dir()
    latest = (cfg.releases_dir / "latest").resolve()
    annual = sorted(p.name for p in cfg.releases_dir.iterdir() if p.name.isdigit())
    assert "2022" in annual and latest.parent.name == annual[-1], (latest, annual)
