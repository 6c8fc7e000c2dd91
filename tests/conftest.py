"""Shared fixtures. Every test that writes gets its own CITYHEALTH_HOME."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cityhealth.core import settings as settings_module

# Airflow reads its home at import: never let a test touch ~/airflow or the demo's var/.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="cityhealth-test-airflow-")
# removed when the session ends: a test run leaves no Airflow home behind in /tmp
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(settings_module.REPO_ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# Word and PDF beside every report add about 0.5 s a city page to each annual run: they
# are written and read back where tests look at them (tests/reports, the DAG runs of
# tests/dags/test_dag_runs.py, which set the deployment default again).
os.environ.setdefault("CITYHEALTH_REPORT_DOCUMENTS", "none")


# The test files that take longest (Airflow runs, whole warehouse builds), longest first.
# `make test` shares whole files among processes (pytest-xdist `--dist loadfile`, in
# collection order): a long file handed out last keeps one process busy while the others
# wait, so these go first and the short ones fill the gaps. The rest keep their order.
LONGEST_FIRST = (
    "tests/dags/test_dag_runs.py",
    "tests/dags/test_airflow_services.py",
    "tests/ingestion/test_corrections.py",
    "tests/benchmarks/test_dbt_build_benchmark.py",
    "tests/province/test_second_province.py",
    "tests/deploy/test_postgres_metadata.py",
    "tests/dbt/test_object_marts.py",
    "tests/dbt/test_dbt_build.py",
    "tests/reports/test_thin_data.py",
    "tests/reports/test_reports.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture
def cityhealth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty platform home for one test; settings() re-read against it."""
    home = tmp_path / "home"
    monkeypatch.setenv("CITYHEALTH_HOME", str(home))
    settings_module.settings.cache_clear()
    settings_module.settings().ensure_dirs()
    yield home
    settings_module.settings.cache_clear()


@pytest.fixture(scope="session")
def demo_platform(tmp_path_factory: pytest.TempPathFactory):
    """The whole demo built once (minutes): deliveries, ingestion, dbt, releases. With
    several test processes, one builds it and each works on a copy of its own."""
    from tests.demo_platform import build_demo_platform, shared_demo_platform

    home = tmp_path_factory.mktemp("demo_platform") / "home"
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # the only process
        return build_demo_platform(home)
    return shared_demo_platform(tmp_path_factory.getbasetemp().parent / "shared_demo", home)


def _started_by_this_session(markers: tuple[str, ...]) -> list[tuple[int, str]]:
    """Processes (not this one) whose environment names this session's scratch folders:
    whatever a test started, however it was detached (own session, orphaned to init)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        pid = int(proc.name)
        if pid == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and "multiprocessing.resource_tracker" in cmdline:
            continue  # this process's own helper: it ends with pytest
        if stat[0] != "Z" and any(marker.encode() in environ for marker in markers):
            found.append((pid, cmdline[:200]))
    return found


@pytest.fixture(scope="session", autouse=True)
def nothing_left_running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the last test: no process a test started may still run (stopped, and the
    session fails, if one does)."""
    yield
    import signal
    import time

    markers = (_AIRFLOW_HOME, str(tmp_path_factory.getbasetemp()))
    left = _started_by_this_session(markers)
    for pid, _ in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            group = os.getpgid(pid)
            if group == os.getpgrp():  # in pytest's own group: that process alone
                os.kill(pid, signal.SIGKILL)
            else:
                os.killpg(group, signal.SIGKILL)
    if left:
        time.sleep(1)
    assert not left, f"processes left running by the tests: {left}"
