"""`make airflow-ui`: the Airflow UI on the demo, DAGs ready, login shown.

Starts ``airflow standalone`` (API server with the UI, scheduler, DAG processor,
triggerer; SQLite metadata) on 127.0.0.1 with the project's DAGs, after making
sure the demo deliveries exist. Its output goes to ``logs/airflow_ui.log``; the
terminal shows the address and the login. Stop it with Ctrl-C: the whole process
group goes (``airflow standalone`` alone would leave its scheduler and API server).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cityhealth.core.settings import settings
from cityhealth.orchestration.airflow_env import airflow_environment, prepare_airflow


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


def start_standalone(port: int | str, log_file) -> subprocess.Popen:
    """``airflow standalone`` (API server + UI, scheduler, DAG processor, triggerer).

    In a process group of its own, so that :func:`stop_process_group` stops every
    service it starts; its output goes to ``log_file``.
    """
    with open(log_file, "a", encoding="utf-8") as out:
        return subprocess.Popen([sys.executable, "-m", "airflow", "standalone"],
                                env=standalone_environment(port), stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def stop_process_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a process and every process of its group: SIGTERM, then SIGKILL after timeout."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.poll()
        if not group_members(process.pid):
            break
        time.sleep(0.5)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        for _ in range(100):  # SIGKILL cannot be refused, but takes a moment
            if not group_members(process.pid):
                break
            time.sleep(0.1)
    process.wait(timeout=10)


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def main() -> int:
    port = os.environ.get("CITYHEALTH_AIRFLOW_PORT", "8080")
    os.environ.update(standalone_environment(port))
    cfg = settings()
    cfg.ensure_dirs()
    if not any(cfg.landing_dir.iterdir()):
        from cityhealth.demo.generator import generate

        print(f"generating the demo deliveries into {cfg.landing_dir}", flush=True)
        generate(cfg.landing_dir, cfg.profile)
    log_file = cfg.home / "logs" / "airflow_ui.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    prepare_airflow(log_file)
    airflow_home = cfg.home / "airflow"
    passwords = airflow_home / "simple_auth_manager_passwords.json.generated"
    print(f"starting airflow standalone on 127.0.0.1:{port} (output: {log_file})", flush=True)
    process = start_standalone(port, log_file)
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
              "(e.g. annual_health_check) from the UI. Times are shown in your browser's "
              "time zone (Asia/Shanghai in China; the clock icon changes it).\n"
              "Ctrl-C stops every Airflow service.", flush=True)
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_process_group(process)


if __name__ == "__main__":
    sys.exit(main())
