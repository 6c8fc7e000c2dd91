"""The embedded Airflow's configuration: what a bare `airflow` command finds."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

from cityhealth.orchestration.airflow_env import DAGS_FOLDER, write_airflow_cfg


def _read(path: Path) -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None)
    config.read(path, encoding="utf-8")
    return config


def test_airflow_cfg_names_the_dags_and_keeps_the_shared_secrets(tmp_path: Path) -> None:
    home = tmp_path / "airflow"
    config = _read(write_airflow_cfg(home))
    assert config["core"]["dags_folder"] == str(DAGS_FOLDER)
    assert config["core"]["load_examples"] == "False"
    assert config["core"]["dags_are_paused_at_creation"] == "True"
    assert config["core"]["default_timezone"] == "Asia/Shanghai"
    # the secrets every Airflow process must share (else the API server rejects tasks)
    secret, fernet = config["api_auth"]["jwt_secret"], config["core"]["fernet_key"]
    assert secret and fernet
    again = _read(write_airflow_cfg(home))
    assert (again["api_auth"]["jwt_secret"], again["core"]["fernet_key"]) == (secret, fernet)


def test_a_bare_airflow_command_lists_the_project_dags_only(tmp_path: Path) -> None:
    home = tmp_path / "airflow"
    write_airflow_cfg(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(home)
    airflow = Path(sys.executable).with_name("airflow")
    for command in (["db", "migrate"], ["dags", "reserialize"]):  # parse the DAGs folder
        done = subprocess.run([str(airflow), *command], env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
    listed = subprocess.run([str(airflow), "dags", "list", "--output", "json"], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert listed.returncode == 0, listed.stderr[-2000:]
    line = next(x for x in listed.stdout.splitlines() if x.startswith("["))
    dags = {d["dag_id"]: d for d in json.loads(line)}
    assert set(dags) == {"annual_health_check", "monthly_dispatch", "quarterly_bulletin",
                         "five_year_assessment", "annual_appraisal"}
    assert all(str(d["is_paused"]) == "True" for d in dags.values()), dags
