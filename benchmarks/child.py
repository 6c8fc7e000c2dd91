"""One measured step in a fresh process, under a time limit.

A step runs as ``python -c`` in a process group of its own; past ``timeout`` seconds the
whole group is killed (SIGKILL: a step stuck in DuckDB does not answer SIGTERM) and
:class:`StepTimeout` says which step and after how long, so that the benchmark records the
step as timed out and keeps the figures of the other steps. Standard library only: the
parent stays small, and a child never starts from its high-water mark.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STEP_TIMEOUT = 3600.0  # seconds; the slowest step at 10 million rows takes ~6 min

_RUNNER = """
import json, sys
module = __import__(sys.argv[1], fromlist=[sys.argv[2]])
result = getattr(module, sys.argv[2])(*json.loads(sys.argv[3]))
with open(sys.argv[4], "w", encoding="utf-8") as out:
    json.dump(result, out)
"""


class StepTimeout(RuntimeError):
    """A step ran longer than its limit; its process group was killed."""

    def __init__(self, step: str, timeout: float) -> None:
        self.step = step
        self.timeout = timeout
        super().__init__(f"{step} did not finish within {timeout:g} s; its processes "
                         "were killed")


class StepFailed(RuntimeError):
    """A step ended with an error (its traceback's last lines are in the message)."""


def run_step(module: str, function: str, *args, timeout: float = DEFAULT_STEP_TIMEOUT,
             env: dict[str, str] | None = None) -> dict:
    """``module.function(*args)`` in a new process; its JSON result, or an error.

    The files written before (an export, a UTF-8 copy, the step before's database) are
    flushed to disk first, so that no step pays the writeback of another's: the survey
    ingest's archive copy took 2 to 5 s depending on what the reference before it had
    left unwritten."""
    os.sync()
    with tempfile.TemporaryDirectory(prefix="bench-step-") as scratch:
        result_file = Path(scratch) / "result.json"
        environment = {**os.environ, **(env or {})}
        environment["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), environment.get("PYTHONPATH", "")) if p)
        process = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, module, function, json.dumps(list(args)),
             str(result_file)],
            cwd=REPO_ROOT, env=environment, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise StepTimeout(f"{module}.{function}", timeout) from None
        finally:
            _kill_group(process)  # whatever the step left behind in its group
        if process.returncode != 0 or not result_file.exists():
            tail = "\n".join((stderr or "").strip().splitlines()[-5:])
            raise StepFailed(f"{module}.{function} failed (exit {process.returncode}): {tail}")
        return json.loads(result_file.read_text(encoding="utf-8"))


def fresh_database(database: str):
    """In a step: a connection to a new, empty database file in the warehouse's storage
    format (as the platform writes; a reference is measured writing it too), whatever
    was there before removed with its write-ahead log; no progress bars. (DuckDB is
    imported here, inside the step's process, not by the parent.)"""
    import duckdb

    from cityhealth.warehouse.connection import create_database

    Path(database).unlink(missing_ok=True)
    Path(database + ".wal").unlink(missing_ok=True)
    create_database(database)
    con = duckdb.connect(database)
    con.execute("set enable_progress_bar = false")  # no bars in the printed figures
    return con


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    process.wait()
