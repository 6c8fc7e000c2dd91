"""Running the dbt project (dbt_project/) from Python: Airflow tasks, the demo, tests.

dbt runs in-process through its programmatic API (``dbtRunner``), so a failure surfaces
as a Python exception whose message names the failed nodes and their first error line:
that is what an Airflow task log shows a data engineer. Everything dbt writes (compiled
SQL, run results, logs) goes under ``CITYHEALTH_HOME/dbt``, never into the repository.

dbt-duckdb opens the warehouse file itself, read-write, and fails at once when another
process has it open. A command therefore runs in the write slot of
``cityhealth.warehouse.connection`` (the ``<db>.write.lock`` of all writers): this process opens the
file first, waiting for readers up to ``CITYHEALTH_WAREHOUSE_LOCK_TIMEOUT``, and keeps it
open until dbt is done; dbt's own ``duckdb.connect`` of the same file then shares that
database instance (DuckDB caches one instance per file and process) instead of competing
for the file lock, and no reader can slip in between two nodes.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from cityhealth.core.settings import (
    DBT_PROJECT_DIR,
    DBT_THREADS_ENV,
    MEMORY_LIMIT_ENV,
    TEMP_DIRECTORY_ENV,
    THREADS_ENV,
    settings,
)
from cityhealth.warehouse.connection import write_slot

log = logging.getLogger(__name__)

# The parsed project, while :func:`parsed_once` is in force (None: parse per command).
_REUSED: dict[str, Any] = {}

# Statuses of a node result that mean "this node failed" (RunStatus / TestStatus values).
_FAILED_STATUSES = {"error", "fail", "runtime error"}

# dbt commands that never open the warehouse, hence need no write slot.
_OFFLINE_COMMANDS = {"parse", "ls", "list", "deps", "clean", "init"}

# dbt commands whose result is written to ``run_results.json`` here rather than by dbt
# (:func:`_invoke`).
_RESULT_COMMANDS = {"build", "run", "test", "seed", "snapshot"}

# Terminal escape sequences (colours, cursor moves): CSI "ESC [ ... final", OSC
# "ESC ] ... BEL/ST" and the two-byte ones. dbt colours its messages (a unit test's
# diff, for one) when colours are on; none of that belongs in an exception or a mail.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def strip_ansi(text: object) -> str:
    """``text`` without terminal escape sequences (and without a stray ESC)."""
    return _ANSI.sub("", str(text)).replace("\x1b", "")


class DbtBuildError(RuntimeError):
    """A dbt command failed; the message lists each failed node and its first error line."""

    def __init__(self, command: str, failures: list[str]) -> None:
        command = strip_ansi(command)
        failures = [strip_ansi(failure) for failure in failures]
        self.command = command
        self.failures = failures
        lines = "\n".join(f"- {failure}" for failure in failures)
        super().__init__(f"dbt {command} failed ({len(failures)} node(s)):\n{lines}")


# dbt's own header above the database's message ("Runtime Error in model x (path)")
_HEADER = re.compile(r"^\w+ Error in \w+ \S+ \(.*\)$")


def _first_line(text: object) -> str:
    """The first line that says what went wrong (dbt's 'Error in model' header skipped)."""
    lines = [line.strip() for line in strip_ansi(text or "").splitlines() if line.strip()]
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


def _status(node_result: Any) -> str:
    """A node result's status in lower case ("success", "pass", "error", "no-op" …): a
    RunStatus or TestStatus value, or the plain string some results carry."""
    return str(getattr(node_result.status, "value", node_result.status)).lower()


def _failures(result: Any, con: Any = None) -> list[str]:
    """'<resource type> <name>: <first error line>' for each failed node of a run result;
    for a failed data test, with its first failing rows when ``con`` (the warehouse dbt
    wrote) is given."""
    failures = []
    for node_result in getattr(result, "results", None) or []:
        status = _status(node_result)
        if status not in _FAILED_STATUSES:
            continue
        node = node_result.node
        label = f"{node.resource_type} {node.name}"
        message = _first_line(node_result.message)
        if con is not None and status == "fail" and str(node.resource_type) == "test":
            message += _failing_rows(con, node)
        if _DUPLICATE_KEY in message and (key := _key_columns(node)):
            message += f" (the key of {node.name}: {', '.join(key)})"
        failures.append(f"{label} [{status}]: {message}")
    return failures


# DuckDB's words for a row whose key a table already holds; they give the key's values,
# not its columns, which the error adds from the model's contract.
_DUPLICATE_KEY = "PRIMARY KEY or UNIQUE constraint violation: duplicate key"


def _key_columns(node: Any) -> list[str]:
    """The columns of a model's primary key constraint (its contract), if it has one."""
    for constraint in getattr(node, "constraints", None) or []:
        if str(getattr(constraint.type, "value", constraint.type)) == "primary_key":
            return list(constraint.columns or [])
    return []


# Failing rows a failed data test's message shows, and how long fetching them may take.
FAILING_ROWS_SHOWN = 3
_FAILING_ROWS_SECONDS = 60.0


def _failing_rows(con: Any, node: Any) -> str:
    """' – failing rows: a=1, b=x; …' : the first rows a failed data test's SQL returns.

    dbt's own message only counts them ("Got 2 results, configured to fail if != 0");
    the rows say which column, key or value broke the rule (a test of several columns,
    such as not_null_columns, names the column in its rows). Best effort: when the rows
    cannot be read, the message stays dbt's and the log says why.
    """
    from cityhealth.warehouse.connection import query_timeout

    sql = getattr(node, "compiled_code", None)
    if not sql:
        return ""
    try:
        with query_timeout(con, f"the failing rows of dbt test {node.name}",
                           seconds=_FAILING_ROWS_SECONDS):
            cursor = con.execute(
                f"select * from ({sql}\n) as failing limit {FAILING_ROWS_SHOWN + 1}")
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
    except Exception as error:  # noqa: BLE001 - the failure is reported all the same
        log.warning("could not read the failing rows of %s: %s", node.name,
                    _first_line(error))
        return ""
    if not rows:
        return ""
    shown = "; ".join(", ".join(f"{name}={value}" for name, value in zip(names, row,
                                                                          strict=True))
                      for row in rows[:FAILING_ROWS_SHOWN])
    return f" – failing rows: {shown}{'; …' if len(rows) > FAILING_ROWS_SHOWN else ''}"


def _release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a command,
    and let go of the adapter dbt registered for it.

    dbt-duckdb holds one database instance per process (a class attribute) until exit;
    while it does, this process cannot open the file read-only (publishing a release,
    tests) and no other process can open it at all. Nothing public closes it, so the
    adapter's environment is closed here; the next dbt command simply opens a new one.

    dbt also leaves its adapter registered (with the parsed manifest as its macro
    resolver) until the next command. Both hold a lock of dbt's "spawn" multiprocessing
    context, i.e. a named POSIX semaphore the resource tracker process watches. An
    Airflow task process ends with ``os._exit`` after clearing the atexit handlers
    (airflow.sdk.execution_time.supervisor), so multiprocessing's own clean-up never
    runs, and the tracker reports "There appear to be 2 leaked semaphore objects" on
    the task's stderr (red ERROR lines at the end of a successful task's log).
    Dropping the adapters and collecting them here runs the semaphores' finalizers
    (unlink, unregister) while the process is alive.
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
    FACTORY.reset_adapters()
    gc.collect()  # the manifest and the adapter sit in reference cycles


def _error_of(command: str, outcome: Any, con: Any = None) -> DbtBuildError | None:
    """The DbtBuildError of an unsuccessful dbtRunnerResult (None on success); ``con``:
    the warehouse, to show a failed test's rows (:func:`_failing_rows`)."""
    if outcome.success:
        return None
    if outcome.exception is not None:
        return DbtBuildError(command, [f"dbt did not run: {_first_line(outcome.exception)}"])
    failures = (_failures(outcome.result, con)
                or ["no failed node reported (see the dbt log)"])
    return DbtBuildError(command, failures)


def _log_levels(dbt_log: str) -> dict[str, str]:
    """dbt's console and file log levels for the deployment's ``CITYHEALTH_DBT_LOG``.

    "results": warnings and errors only, and no debug log file. Most of a data test's
    time in dbt is dbt's Python, and about a fifth of that was its events: each formatted
    and written to the console and the file under a lock the threads queue for. The
    models step of an annual run took 1.3 to 2.5 s less without them; the platform logs
    the results when the command ends (:func:`_log_results`)."""
    if dbt_log == "debug":
        return {"DBT_LOG_LEVEL": "info", "DBT_LOG_LEVEL_FILE": "debug"}
    return {"DBT_LOG_LEVEL": "warn", "DBT_LOG_LEVEL_FILE": "none"}


def _log_results(command: str, result: Any) -> None:
    """A command's results in the log (the Airflow task's): each node that runs SQL of
    its own (model, seed, snapshot, hook) with its status and time, slowest first; the
    data and unit tests counted by status."""
    nodes = getattr(result, "results", None) or []
    tests: Counter[str] = Counter()
    built = []
    for node_result in nodes:
        status = _status(node_result)
        kind = str(node_result.node.resource_type)
        if kind in ("test", "unit_test"):
            tests[status] += 1
        elif kind != "exposure":  # an exposure (a BI dashboard, a release) runs nothing
            built.append((node_result.execution_time, node_result.node, status))
    for seconds, node, status in sorted(built, key=lambda b: -b[0]):
        log.info("%s %s: %s in %.2f s", node.resource_type, node.name, status, seconds)
    counts = ", ".join(f"{count} {status}" for status, count in sorted(tests.items()))
    log.info("dbt %s: %d nodes in %.1f s; tests: %s", command, len(nodes),
             getattr(result, "elapsed_time", 0.0), counts or "none")


def duckdb_environment() -> dict[str, str]:
    """DuckDB's resources for dbt's connection and dbt's threads (profiles.yml reads them
    with ``env_var``), the values of the settings, so that dbt and ingestion share one
    configuration."""
    cfg = settings()
    return {
        MEMORY_LIMIT_ENV: cfg.duckdb_memory_limit,
        THREADS_ENV: str(cfg.duckdb_threads),
        TEMP_DIRECTORY_ENV: str(cfg.duckdb_temp_directory),
        DBT_THREADS_ENV: str(cfg.dbt_threads),
    }


def run_dbt(
    args: list[str],
    *,
    warehouse_path: Path | None = None,
    vars: dict[str, Any] | None = None,
) -> None:
    """Run one dbt command (e.g. ``["build"]``, ``["run", "--select", "marts"]``).

    The project and profiles are dbt_project/; the warehouse is ``warehouse_path`` or the
    deployment's (``settings().warehouse_path``). Raises :class:`DbtBuildError` when dbt
    cannot start (parse error, bad profile) or any node fails, and
    ``cityhealth.warehouse.connection.WarehouseBusyError`` when another process kept the warehouse
    open for longer than ``CITYHEALTH_WAREHOUSE_LOCK_TIMEOUT``.
    """
    cfg = settings()
    path = Path(warehouse_path or cfg.warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dbt_home = cfg.home / "dbt"
    environment = {
        "CITYHEALTH_WAREHOUSE": str(path),
        **duckdb_environment(),
        # Flags as environment variables: dbt applies each to the commands that know it.
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(cfg.dbt_target_dir),
        "DBT_LOG_PATH": str(dbt_home / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        # No colour codes: the output goes to task logs and into exception messages.
        "DBT_USE_COLORS": "False",
        "DBT_USE_COLORS_FILE": "False",
        **_log_levels(cfg.dbt_log),
    }
    cli_args = list(args)
    if vars:
        cli_args += ["--vars", json.dumps(vars)]
    command = " ".join(args[:1]) or "(no command)"
    offline = bool(args) and args[0] in _OFFLINE_COMMANDS
    log.info("dbt %s (warehouse %s)", " ".join(cli_args), path)
    with (nullcontext() if offline else write_slot(path)) as con, _environment(environment):
        # What the process held before the command is left out of the collection that
        # ends it (_release_warehouse): dbt's adapter and manifest are made by the
        # command, and a full collection over an Airflow process took 0.3 to 0.4 s.
        gc.freeze()
        try:
            error = _invoke(command, cli_args, offline, cfg.dbt_target_dir, con)
        finally:
            try:
                _release_warehouse()
            finally:
                gc.unfreeze()
    if error is not None:
        raise error


def _invoke(command: str, cli_args: list[str], offline: bool, target: Path,
            con: Any = None) -> DbtBuildError | None:
    """Run one dbt command; its error, if any (``con``: the warehouse dbt writes, which
    a failed test's rows are read from). The manifest and the runner's result are
    locals, dropped on return, before the caller's clean-up collects what dbt created.

    A build, run, test or seed writes ``<target>/run_results.json`` (what ran, how long,
    with which result) but not ``manifest.json``: dbt writes both at the end of every
    command (``--write-json``), and serialising the whole project's manifest took about
    a second of each of an annual run's five dbt tasks. The manifest is the same parse
    every time; ``dbt parse`` or ``dbt docs generate`` writes it for whoever wants it.
    """
    from dbt.cli.main import dbtRunner

    runner = dbtRunner(manifest=None if offline else _var_free_manifest())
    if command not in _RESULT_COMMANDS:
        return _error_of(command, runner.invoke(cli_args))
    outcome = runner.invoke([*cli_args, "--no-write-json"])
    if hasattr(outcome.result, "write"):
        outcome.result.write(str(target / "run_results.json"))
        _log_results(command, outcome.result)
    return _error_of(command, outcome, con)


def _var_free_manifest():
    """The project parsed without the run's vars (None when it does not parse: the command
    then parses itself and reports why).

    dbt keeps the parsed project in ``<target>/partial_parse.msgpack`` and re-reads only
    the files that changed since, but it parses everything again when the command-line
    vars differ from the saved parse's, i.e. in the first dbt task of every run of
    another period. Parsing without vars and handing the manifest to the command (which
    renders each node's SQL with its vars when it runs it) keeps dbt's partial parsing
    across periods: an Airflow task pays a second's check of the files instead of a full
    parse. The project's vars are only read when SQL is rendered (macro ``run_var``), so
    the manifest does not depend on them. ``--no-write-json``: the command writes
    ``manifest.json`` when it ends. Inside :func:`parsed_once` one parse serves every
    command of the process.
    """
    if "manifest" in _REUSED:
        return _REUSED["manifest"]
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(["parse", "--no-write-json", "--quiet"])
    if not result.success:
        return None
    if "on" in _REUSED:
        _REUSED["manifest"] = result.result
    return result.result


@contextmanager
def parsed_once() -> Iterator[None]:
    """Within the block, dbt parses the project once and every command reuses it.

    For a series of dbt commands in one process (the demo's DAG runs): each command
    would otherwise check the project's files against dbt's saved parse again (about a
    second, :func:`_var_free_manifest`). The vars of each command still apply: dbt
    renders the SQL when it runs a node. The project's files must not change inside the
    block. The manifest is dropped at the end (it holds a lock the resource tracker
    watches).
    """
    _REUSED["on"] = True
    try:
        yield
    finally:
        _REUSED.clear()
        _release_warehouse()


def build(check_year: int | None = None) -> None:
    """``dbt build`` for a check year: seeds, models, data tests and unit tests.

    ``check_year`` defaults to the run profile's (config/<profile>.yaml); the years of
    its plan period come from the seed ref_plan_periods (``Period.dbt_vars``).
    """
    from cityhealth.core.periods import Period

    year = check_year if check_year is not None else settings().profile.check_year
    run_dbt(["build"], vars=Period.annual(int(year)).dbt_vars())
