"""`make airflow-ui`: the Airflow UI on the demo, DAGs ready, login shown.

Starts ``airflow standalone`` (API server with the UI, scheduler, DAG processor,
triggerer; SQLite metadata) on 127.0.0.1 with the project's DAGs, after making
sure the demo deliveries exist. Stop it with Ctrl-C.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from cityhealth.airflow_env import airflow_environment, prepare_airflow
from cityhealth.settings import settings


def standalone_environment(port: int | str) -> dict[str, str]:
    """Airflow's environment for ``airflow standalone`` on 127.0.0.1:<port>.

    New DAGs start paused: each schedule would otherwise start at once (the monthly
    dispatch without its feeds); unpause or trigger what you want to see.
    """
    return airflow_environment({
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        # tasks reach the API server here; must follow the port
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    })


def start_standalone(port: int | str, log_file=None) -> subprocess.Popen:
    """``airflow standalone`` (API server + UI, scheduler, DAG processor, triggerer)."""
    out = open(log_file, "a", encoding="utf-8") if log_file else None  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "airflow", "standalone"],
                            env=standalone_environment(port), stdout=out,
                            stderr=subprocess.STDOUT if out else None)


def main() -> int:
    port = os.environ.get("CITYHEALTH_AIRFLOW_PORT", "8080")
    os.environ.update(standalone_environment(port))
    cfg = settings()
    cfg.ensure_dirs()
    if not any(cfg.landing_dir.iterdir()):
        from ingestion.demo import generate

        print(f"generating the demo deliveries into {cfg.landing_dir}", flush=True)
        generate(cfg.landing_dir, cfg.profile)
    prepare_airflow(cfg.home / "logs" / "airflow_ui.log")
    airflow_home = cfg.home / "airflow"
    passwords = airflow_home / "simple_auth_manager_passwords.json.generated"
    process = start_standalone(port)
    try:
        for _ in range(120):
            if passwords.exists():
                break
            time.sleep(1)
        logins = json.loads(passwords.read_text()) if passwords.exists() else {}
        print(f"\nAirflow UI: http://127.0.0.1:{port}  (it may take a minute to answer)")
        for user, password in logins.items():
            print(f"login: {user} / {password}   (stored in {passwords})")
        print("DAGs: annual_health_check and the other schedules, paused: trigger one "
              "(e.g. annual_health_check) from the UI.\n", flush=True)
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()


if __name__ == "__main__":
    sys.exit(main())
