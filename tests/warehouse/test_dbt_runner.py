"""warehouse.dbt.run_dbt: no colour codes in what it raises or prints, nothing leaked at exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cityhealth.core.settings import settings
from cityhealth.warehouse.dbt import DbtBuildError, _first_line, strip_ansi

RED, RESET = "\x1b[31m", "\x1b[0m"

# A failed unit test's message as dbt 1.11 renders it with colours on (daff's diff of
# the actual against the expected rows), copied from daff.TerminalDiffRender.
COLOURED_UNIT_TEST_FAILURE = (
    "\x1b[0;1m@@\x1b[0m\x1b[33m,\x1b[0m\x1b[0;1mid\x1b[0m\x1b[33m,\x1b[0m\x1b[0;1mv\x1b[0m\r\n"
    "  \x1b[33m,\x1b[0m1 \x1b[33m,\x1b[0mx\r\n"
    "\x1b[31;1m\x1b[34;1m→\x1b[32;1m\x1b[0m \x1b[33m,\x1b[0m2 \x1b[33m,\x1b[0m"
    "\x1b[31;1my\x1b[34;1m→\x1b[32;1mz\x1b[0m\r\n"
)


def test_colour_codes_are_stripped_from_messages() -> None:
    hyperlink = "\x1b]8;;http://x\x07link\x1b]8;;\x07"
    assert strip_ansi(f"{RED}ERROR{RESET} {hyperlink} \x1b") == "ERROR link "
    assert _first_line(COLOURED_UNIT_TEST_FAILURE) == "@@,id,v"
    assert strip_ansi(COLOURED_UNIT_TEST_FAILURE).splitlines()[2] == "→ ,2 ,y→z"
    error = DbtBuildError(f"{RED}build{RESET}", [f"unit_test test_x [fail]: {RED}bad{RESET}"])
    assert "\x1b" not in str(error) and "[31m" not in str(error)
    assert str(error) == "dbt build failed (1 node(s)):\n- unit_test test_x [fail]: bad"
    assert error.failures == ["unit_test test_x [fail]: bad"]


# Run one small dbt command, then end the way an Airflow task process ends
# (airflow.sdk.execution_time.supervisor._fork_main: atexit handlers cleared, os._exit),
# where multiprocessing's exit clean-up never runs.
DBT_THEN_EXIT_LIKE_AIRFLOW = """
import atexit, logging, os, sys
from cityhealth.warehouse.dbt import run_dbt
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s: %(message)s")
run_dbt(["seed", "--select", "ref_units"])
print("dbt done", flush=True)
atexit._clear()
sys.stderr.flush()
os._exit(0)
"""


def _dbt_task_process(**environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", DBT_THEN_EXIT_LIKE_AIRFLOW],
        capture_output=True, text=True, timeout=300, env={**os.environ, **environment},
        start_new_session=True,
    )


@pytest.mark.slow
def test_a_dbt_task_process_prints_no_colours_and_leaks_no_semaphore(
    cityhealth_home: Path,
) -> None:
    done = _dbt_task_process(CITYHEALTH_DBT_LOG="debug")  # dbt's own log and log file
    assert done.returncode == 0, done.stderr
    assert "dbt done" in done.stdout
    # The resource tracker outlives the process for a moment; its warning is written
    # to the inherited stderr when it sees the pipe close, before run() returns.
    assert "leaked semaphore" not in done.stderr, done.stderr
    assert "resource_tracker" not in done.stderr, done.stderr
    # colours off: the console output and dbt's log file carry no escape sequences
    assert "\x1b" not in done.stdout and "\x1b" not in done.stderr
    log_file = settings().home / "dbt" / "logs" / "dbt.log"
    assert log_file.exists()
    assert "\x1b" not in log_file.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_dbt_task_logs_the_results_not_dbts_events_by_default(
    cityhealth_home: Path,
) -> None:
    """By default dbt says only warnings and errors while it runs and keeps no debug log
    file; the task's log gets each node's result and the tests' counts when it ends."""
    log_file = settings().home / "dbt" / "logs" / "dbt.log"
    before = log_file.stat().st_size if log_file.exists() else None
    done = _dbt_task_process(CITYHEALTH_DBT_LOG="results")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("cityhealth.warehouse.dbt: seed ref_units: success in ")
               for line in lines), done.stdout
    assert any(line.startswith("cityhealth.warehouse.dbt: dbt seed: ")  # hooks count
               and line.endswith("tests: none") for line in lines), done.stdout
    assert "START" not in done.stdout and "Completed successfully" not in done.stdout
    assert (log_file.stat().st_size if log_file.exists() else None) == before
