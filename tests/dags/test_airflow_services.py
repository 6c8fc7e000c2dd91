"""End to end through the real Airflow services: `airflow standalone` on loopback.

API server, scheduler, DAG processor and triggerer run as Airflow runs them; the test
logs in, triggers annual_health_check through the REST API (v2), waits for the run and
reads its task states back through the API.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from cityhealth import settings as settings_module

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
    from cityhealth.airflow_env import prepare_airflow
    from cityhealth.airflow_ui import start_standalone
    from ingestion.demo import generate

    cfg = settings_module.settings()
    cfg.ensure_dirs()
    generate(cfg.landing_dir, cfg.profile)
    port = free_port()
    log_file = home / "standalone.log"
    os.environ.update({"AIRFLOW_HOME": str(home / "airflow")})
    prepare_airflow(home / "prepare.log")
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
        yield base, {"Authorization": f"Bearer {token}"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except Exception:  # noqa: BLE001 - make sure nothing outlives the test
            process.kill()
        os.environ.clear()
        os.environ.update(saved)
        settings_module.settings.cache_clear()
        print(Path(log_file).read_text(encoding="utf-8", errors="replace")[-3000:])


def test_trigger_annual_check_through_the_rest_api(airflow_api: tuple[str, dict]) -> None:
    base, auth = airflow_api
    api = f"{base}/api/v2/dags/{DAG_ID}"
    wait_for("the DAG to be parsed", lambda: requests.get(api, headers=auth, timeout=10).ok,
             240)
    # the run of check year 2025: data interval = the calendar year, China time
    start, end = f"{CHECK_YEAR}-01-01T00:00:00+08:00", f"{CHECK_YEAR + 1}-01-01T00:00:00+08:00"
    created = requests.post(f"{api}/dagRuns", headers=auth, timeout=30, json={
        "dag_run_id": "rest_api_e2e", "logical_date": start,
        "data_interval_start": start, "data_interval_end": end})
    assert created.status_code == 200, created.text
    assert requests.patch(api, headers=auth, json={"is_paused": False},
                          timeout=10).ok
    run = f"{api}/dagRuns/rest_api_e2e"

    def finished():
        state = requests.get(run, headers=auth, timeout=10).json()["state"]
        return state if state in ("success", "failed") else None

    state = wait_for("the DAG run", finished, 900, 5)
    instances = requests.get(f"{run}/taskInstances", headers=auth, timeout=30,
                             params={"limit": 200}).json()["task_instances"]
    states = {ti["task_id"]: ti["state"] for ti in instances}
    assert state == "success", {t: s for t, s in states.items() if s != "success"}
    assert states["dbt.published"] == "success" and states["publish_release"] == "success"
    assert len(states) >= 40 and set(states.values()) == {"success"}
    runs = requests.get(f"{api}/dagRuns", headers=auth, timeout=10).json()["dag_runs"]
    assert [r["dag_run_id"] for r in runs if r["state"] == "success"] == ["rest_api_e2e"]
