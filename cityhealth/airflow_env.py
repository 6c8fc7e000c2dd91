"""The embedded Airflow: its environment, its metadata database and DAG runs.

Airflow keeps its metadata in SQLite under ``<CITYHEALTH_HOME>/airflow`` unless
``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` says otherwise (PostgreSQL on servers).
``prepare_airflow`` also writes the project's settings into ``airflow.cfg`` there, so
that a bare ``AIRFLOW_HOME=var/airflow airflow ...`` finds the project's DAGs.
Runs go through Airflow itself (``airflow dags test``, or ``DAG.test()`` for a series
of runs in one process: the real DAG parsed from the DAGs folder, real task
instances, real states in the metadata database).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from cityhealth.periods import Period
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
        # New DAGs start paused: the UI (make airflow-ui) must not start the schedules
        # on its own; runs asked for explicitly (dags test, trigger, backfill) still run.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
        "DBT_USE_COLORS": "False",
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


# What a bare `airflow` command run with AIRFLOW_HOME=<home>/airflow must know (the
# environment above sets the same for the project's own commands).
AIRFLOW_CFG = {
    "core": {
        "dags_folder": str(DAGS_FOLDER),
        "load_examples": "False",
        "default_timezone": "Asia/Shanghai",
        "dags_are_paused_at_creation": "True",
    },
    "logging": {"colored_console_log": "False"},
}


def write_airflow_cfg(airflow_home: Path) -> Path:
    """Write the project's settings into ``airflow.cfg`` (other keys kept as they are)."""
    import configparser

    path = airflow_home / "airflow.cfg"
    airflow_home.mkdir(parents=True, exist_ok=True)
    config = configparser.ConfigParser(interpolation=None)
    if path.exists():
        config.read(path, encoding="utf-8")
    for section, values in AIRFLOW_CFG.items():
        if not config.has_section(section):
            config.add_section(section)
        for key, value in values.items():
            config.set(section, key, value)
    with open(path, "w", encoding="utf-8") as out:
        config.write(out)
    return path


def prepare_airflow(log_file: Path) -> None:
    """Create or upgrade the metadata database and the writer pool (idempotent)."""
    write_airflow_cfg(Path(airflow_environment()["AIRFLOW_HOME"]))
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
    return logical_date_for(Period.annual(check_year))


def logical_date_for(period: Period) -> str:
    """The logical date of a manual run (``dags test``, REST) that covers ``period``.

    Airflow gives a manual run the last whole data interval before its logical date,
    so the date is the end of the period (China time): 2026-01-01 00:00 for the check
    year 2025, 2025-10-01 06:00 for the month 2025-09, 2025-10-01 06:00 for 2025-Q3.
    """
    if period.kind == "annual":
        return f"{period.first_year + 1}-01-01T00:00:00+08:00"
    if period.kind == "monthly":
        year, month = divmod(period.first_year * 12 + period.month, 12)
        return f"{year}-{month + 1:02d}-01T06:00:00+08:00"
    if period.kind == "quarterly":
        year, month = divmod(period.first_year * 12 + period.quarter * 3, 12)
        return f"{year}-{month + 1:02d}-01T06:00:00+08:00"
    raise ValueError(f"{period.label}: runs of this kind follow a release, not the clock")


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


@dataclass(frozen=True)
class PlannedRun:
    """One DAG run of a series: the DAG, its logical date (None: a manual run) and conf."""

    dag_id: str
    logical_date: str | None
    conf: dict | None = None
    label: str = ""


@contextmanager
def _output_to(log_file: Path) -> Iterator[TextIO]:
    """Send this process's stdout and stderr (Airflow's and dbt's logs) to a log file.

    Yields a stream on the original stdout for the few lines the user should see.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    console = os.fdopen(os.dup(saved_out), "w", encoding="utf-8", buffering=1)
    with open(log_file, "a", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield console
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            console.close()


def _watch(log_file: Path, console: TextIO, label: str, stop: threading.Event) -> None:
    """The task the run has reached (read from the log), when it changes, every 5 s at most."""
    started = time.monotonic()
    with open(log_file, encoding="utf-8", errors="replace") as log:
        log.seek(0, os.SEEK_END)
        shown = current = ""
        while not stop.wait(5):
            for line in log.readlines():
                match = _TASK_START.search(line)
                if match:
                    current = match.group(1)
            if current != shown:
                console.write(f"    … {label}: {current} ({time.monotonic() - started:.0f} s)\n")
                shown = current


_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")


def run_in_process(runs: list[PlannedRun], log_file: Path,
                   on_done: Callable[[PlannedRun, DagRunResult, float, TextIO], None]
                   ) -> list[DagRunResult]:
    """Run a series of DAG runs through Airflow in this process, oldest first.

    ``DAG.test()`` for each: the DAGs parsed from the DAGs folder, the tasks run with
    their real states in the metadata database, Airflow's and dbt's output in
    ``log_file``; ``on_done`` is told of each run as it ends. dbt parses the project
    once for the whole series (``warehouse.dbt.parsed_once``). Stops at the first run
    that fails. Call it with :func:`airflow_environment` already in ``os.environ``
    (Airflow reads its settings at import).
    """
    from airflow.dag_processing.dagbag import DagBag

    from warehouse.dbt import parsed_once

    results = []
    with _output_to(log_file) as console, parsed_once():
        dags = DagBag(dag_folder=str(DAGS_FOLDER))
        if dags.import_errors:
            raise RuntimeError(f"DAG import errors: {dags.import_errors}")
        for planned in runs:
            dag = dags.get_dag(planned.dag_id)
            label = planned.label or planned.dag_id
            stop = threading.Event()
            watcher = threading.Thread(target=_watch, args=(log_file, console, label, stop),
                                       daemon=True)
            watcher.start()
            started = time.monotonic()
            try:
                kwargs = {"run_conf": planned.conf}
                if planned.logical_date is not None:
                    kwargs["logical_date"] = datetime.fromisoformat(planned.logical_date)
                dag_run = dag.test(**kwargs)
            finally:
                stop.set()
                watcher.join()
            result = _record(dag_run, log_file)
            results.append(result)
            on_done(planned, result, time.monotonic() - started, console)
            if result.state != "success":
                break
    return results


def _record(dag_run, log_file: Path) -> DagRunResult:
    """The run's states; its start time set to its first task's (``dags test`` records
    the logical date, so a run of check year 2025 would seem to last eleven months)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter(DagRun.dag_id == dag_run.dag_id,
                                           DagRun.run_id == dag_run.run_id).one()
        tis = run.get_task_instances(session=session)
        starts = [ti.start_date for ti in tis if ti.start_date]
        if starts:
            run.start_date = min(starts)
        states = {_task_key({"task_id": ti.task_id, "map_index": ti.map_index}):
                  str(getattr(ti.state, "value", ti.state) or "none") for ti in tis}
        state = str(getattr(run.state, "value", run.state))
        return DagRunResult(run.dag_id, run.run_id, state, states, log_file)
