"""The embedded Airflow: its environment, its metadata database and DAG runs.

Airflow keeps its metadata in SQLite under ``<CITYHEALTH_HOME>/airflow`` unless
``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` says otherwise (PostgreSQL on servers).
Runs go through Airflow itself (``airflow dags test``: the real DAG parsed from
the DAGs folder, real task instances, real states in the metadata database).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cityhealth.settings import REPO_ROOT, settings

DAGS_FOLDER = REPO_ROOT / "dags"
WRITER_POOL = "warehouse_writer"
NOT_MAPPED = ("", "-1", "None")


def airflow_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ plus the embedded defaults, without overriding what the deployer set."""
    cfg = settings()
    env = dict(os.environ)
    defaults = {
        "CITYHEALTH_HOME": str(cfg.home),
        "AIRFLOW_HOME": str(cfg.home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "GX_ANALYTICS_ENABLED": "False",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    # Airflow starts its own sub-commands (`airflow scheduler` …) from PATH.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = os.pathsep.join(p for p in (bin_dir, env.get("PATH")) if p)
    env.update(extra or {})
    return env


def _airflow(
    args: list[str], log_file: Path | None = None, **kwargs
) -> subprocess.CompletedProcess:
    cmd = [str(Path(sys.executable).with_name("airflow")), *args]
    if log_file is None:
        return subprocess.run(cmd, env=airflow_environment(), capture_output=True, text=True,
                              check=False, **kwargs)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "a", encoding="utf-8") as out:
        out.write(f"\n$ airflow {' '.join(args)}\n")
        out.flush()
        return subprocess.run(cmd, env=airflow_environment(), stdout=out,
                              stderr=subprocess.STDOUT, text=True, check=False, **kwargs)


def prepare_airflow(log_file: Path) -> None:
    """Create or upgrade the metadata database and the writer pool (idempotent)."""
    for args in (
        ["db", "migrate"],
        ["pools", "set", WRITER_POOL, "1", "DuckDB warehouse: one writer at a time"],
    ):
        result = _airflow(args, log_file)
        if result.returncode != 0:
            raise RuntimeError(f"`airflow {' '.join(args)}` failed; see {log_file}")


@dataclass(frozen=True)
class DagRunResult:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str]
    log_file: Path

    @property
    def failed_tasks(self) -> list[str]:
        return sorted(t for t, s in self.task_states.items() if s not in ("success", "skipped"))


def logical_date_for_check_year(check_year: int) -> str:
    """The run date whose yearly data interval is the check year (China time)."""
    return f"{check_year + 1}-01-01T00:00:00+08:00"


def run_dag(dag_id: str, logical_date: str, log_file: Path,
            conf: dict | None = None) -> DagRunResult:
    """Run one DAG run through Airflow and read its task states back from the metadata DB."""
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", json.dumps(conf)]
    _airflow(args, log_file)
    runs = _airflow(["dags", "list-runs", dag_id, "--output", "json"])
    if runs.returncode != 0:
        raise RuntimeError(f"cannot list runs of {dag_id}: {runs.stderr[-2000:]}")
    latest = max(json.loads(_json_part(runs.stdout)), key=lambda r: r.get("start_date") or "")
    states = _airflow(["tasks", "states-for-dag-run", dag_id, latest["run_id"], "--output", "json"])
    task_states = {_task_key(t): t.get("state") or "none"
                   for t in json.loads(_json_part(states.stdout))}
    return DagRunResult(dag_id, latest["run_id"], latest["state"], task_states, log_file)


def _task_key(ti: dict) -> str:
    map_index = str(ti.get("map_index"))
    return ti["task_id"] if map_index in NOT_MAPPED else f"{ti['task_id']}[{map_index}]"


def _json_part(text: str) -> str:
    """The JSON document in a CLI output that also carries warning lines."""
    for line in text.splitlines():
        if line.startswith(("[{", "[]", "{")):
            return line
    raise RuntimeError(f"no JSON in airflow CLI output: {text[-2000:]}")
