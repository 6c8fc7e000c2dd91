"""What a task process imports: an ingest task does not pay for Great Expectations.

Each Airflow task is a process of its own, so every import is paid once per task: the
import of Great Expectations took about 2 of an ingest task's 3 seconds, and the annual
run has 18 of them, one after the other (one writer). The gate's loggers do not fill a
task log with Great Expectations' start-up lines.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout)
from cityhealth.orchestration import pipeline
print("counts", pipeline.ingest("dept_ee", "2025"))
print("gx imported", "great_expectations" in sys.modules)
"""


def test_an_ingest_task_with_nothing_bad_does_not_import_great_expectations(
        tmp_path: Path) -> None:
    env = {**os.environ, "CITYHEALTH_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=120, start_new_session=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "gx imported False" in done.stdout, done.stdout[-2000:]


def test_the_gate_keeps_great_expectations_start_up_out_of_the_task_log(
        caplog) -> None:
    # the gate's package first, as a validate task imports it (GX's own import follows)
    import cityhealth.expectations.gate  # noqa: F401

    with caplog.at_level(logging.INFO):
        from great_expectations._docs_decorators import public_api

        @public_api
        def probe_function() -> None:
            """A documented function."""

        class Holder:
            def method(self):
                def inner() -> None:
                    """A closure."""
                return public_api(inner)

        Holder().method()
    assert not [r for r in caplog.records if r.name.startswith("great_expectations")
                and r.levelno < logging.WARNING], [r.getMessage() for r in caplog.records][:5]


DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
PARSE = """
import importlib.util, sys
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location(path.rsplit("/", 1)[-1][:-3], path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
print("heavy", sorted(m for m in ("pandas", "duckdb", "great_expectations", "dbt")
                      if m in sys.modules))
"""


def test_parsing_the_dag_files_imports_no_data_library() -> None:
    """Every task process parses its DAG file first: the file and what it imports stay
    light (pandas alone cost a second per task)."""
    files = sorted(str(p) for p in DAGS_DIR.glob("*.py"))
    assert len(files) == 5, files
    done = subprocess.run([sys.executable, "-c", PARSE, *files], capture_output=True,
                          text=True, timeout=120, start_new_session=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "heavy []" in done.stdout, done.stdout
