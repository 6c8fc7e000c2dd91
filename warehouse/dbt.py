"""Running the dbt project (dbt_project/) from Python: Airflow tasks, the demo, tests.

dbt runs in-process through its programmatic API (``dbtRunner``), so a failure surfaces
as a Python exception whose message names the failed nodes and their first error line:
that is what an Airflow task log shows a data engineer. Everything dbt writes (compiled
SQL, run results, logs) goes under ``CITYHEALTH_HOME/dbt``, never into the repository.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cityhealth.settings import DBT_PROJECT_DIR, settings

log = logging.getLogger(__name__)

# Statuses of a node result that mean "this node failed" (RunStatus / TestStatus values).
_FAILED_STATUSES = {"error", "fail", "runtime error"}


class DbtBuildError(RuntimeError):
    """A dbt command failed; the message lists each failed node and its first error line."""

    def __init__(self, command: str, failures: list[str]) -> None:
        self.command = command
        self.failures = failures
        lines = "\n".join(f"- {failure}" for failure in failures)
        super().__init__(f"dbt {command} failed ({len(failures)} node(s)):\n{lines}")


# dbt's own header above the database's message ("Runtime Error in model x (path)")
_HEADER = re.compile(r"^\w+ Error in \w+ \S+ \(.*\)$")


def _first_line(text: object) -> str:
    """The first line that says what went wrong (dbt's 'Error in model' header skipped)."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    for line in lines:
        if not _HEADER.match(line):
            return line
    return lines[0] if lines else "(no message)"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for one dbt invocation and restore them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _failures(result: Any) -> list[str]:
    """'<resource type> <name>: <first error line>' for each failed node of a run result."""
    failures = []
    for node_result in getattr(result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status)).lower()
        if status not in _FAILED_STATUSES:
            continue
        node = node_result.node
        label = f"{node.resource_type} {node.name}"
        failures.append(f"{label} [{status}]: {_first_line(node_result.message)}")
    return failures


def _release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a command.

    dbt-duckdb holds one database instance per process (a class attribute) until exit;
    while it does, this process cannot open the file read-only (publishing a release,
    tests) and no other process can open it at all. Nothing public closes it, so the
    adapter's environment is closed here; the next dbt command simply opens a new one.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
        from dbt.adapters.factory import FACTORY
    except ImportError:  # pragma: no cover - dbt-duckdb is a pinned dependency
        return
    FACTORY.cleanup_connections()
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def run_dbt(
    args: list[str],
    *,
    warehouse_path: Path | None = None,
    vars: dict[str, Any] | None = None,
) -> None:
    """Run one dbt command (e.g. ``["build"]``, ``["run", "--select", "marts"]``).

    The project and profiles are dbt_project/; the warehouse is ``warehouse_path`` or the
    deployment's (``settings().warehouse_path``). Raises :class:`DbtBuildError` when dbt
    cannot start (parse error, bad profile) or any node fails.
    """
    from dbt.cli.main import dbtRunner

    cfg = settings()
    path = Path(warehouse_path or cfg.warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dbt_home = cfg.home / "dbt"
    environment = {
        "CITYHEALTH_WAREHOUSE": str(path),
        # Flags as environment variables: dbt applies each to the commands that know it.
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(cfg.dbt_target_dir),
        "DBT_LOG_PATH": str(dbt_home / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    cli_args = list(args)
    if vars:
        cli_args += ["--vars", json.dumps(vars)]
    command = " ".join(args[:1]) or "(no command)"
    log.info("dbt %s (warehouse %s)", " ".join(cli_args), path)
    with _environment(environment):
        try:
            outcome = dbtRunner().invoke(cli_args)
        finally:
            _release_warehouse()
    if outcome.success:
        return
    if outcome.exception is not None:
        raise DbtBuildError(command, [f"dbt did not run: {_first_line(outcome.exception)}"])
    failures = _failures(outcome.result) or ["no failed node reported (see the dbt log)"]
    raise DbtBuildError(command, failures)


def build(check_year: int | None = None) -> None:
    """``dbt build`` for a check year: seeds, models, data tests and unit tests.

    ``check_year`` defaults to the run profile's (config/<profile>.yaml).
    """
    year = check_year if check_year is not None else settings().profile.check_year
    run_dbt(["build"], vars={"check_year": int(year)})
