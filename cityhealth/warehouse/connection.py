"""Opening the warehouse.

DuckDB lets one process write a database file, and while it does no other
process may open it; while any other process has it open, even read-only, no
process can open it for writing. Writers therefore go through :func:`writer`
(one at a time, also enforced by the Airflow pool ``warehouse_writer``); readers
who must never wait use a published release (``cityhealth.warehouse.release``).

Opening waits instead of failing at once: a writer retries while a reader holds
the file, for ``CITYHEALTH_WAREHOUSE_LOCK_TIMEOUT`` seconds (default 120); a reader
(:func:`read_only`) retries while a writer holds it, for a few seconds. Then
:class:`WarehouseBusyError` says which file is held, by which process, for how long
it waited and what to do.

Every connection gets DuckDB's resources from the settings (``CITYHEALTH_DUCKDB_MEMORY_LIMIT``,
``CITYHEALTH_DUCKDB_THREADS``, ``CITYHEALTH_DUCKDB_TEMP_DIRECTORY``), so that one server shared
by several jobs is not taken whole by one of them.

DuckDB has no statement timeout of its own: :func:`query_timeout` is one, a watchdog
thread that interrupts the connection after ``CITYHEALTH_QUERY_TIMEOUT_SECONDS`` (default
1800) and raises :class:`QueryTimeoutError` naming what was running and the limit. A
query that hangs thus ends, and the writer lock and the connection are given back.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import random
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from functools import cache
from pathlib import Path

import duckdb

from cityhealth.core.settings import LOCK_TIMEOUT_ENV, QUERY_TIMEOUT_ENV, settings

log = logging.getLogger(__name__)

RAW_SCHEMA_SQL = Path(__file__).with_name("raw_schema.sql")

# How long a writer waits for readers to let go of the file, in seconds.
# How long a reader waits for a writer by default: briefly (a load or a dbt command
# holds the file for seconds to minutes; whoever cannot wait opens a release).
DEFAULT_READ_TIMEOUT = 10.0
# Pause between two attempts: short, so that a writer gets into the gaps of a reader
# that opens and closes in a loop; a little random, so that two waiters do not collide.
_RETRY_PAUSE = (0.02, 0.1)
# What a BI tool or an analyst opens instead (cityhealth.warehouse.release: releases/latest/...).
LATEST_RELEASE_DB = Path("latest") / "published.duckdb"

# The warehouse file's storage format, set when a writer creates it. DuckDB's default for
# a new file is the format of DuckDB 1.0; DuckDB 1.4's (readable by DuckDB 1.4, the
# long-term-support line, and newer) loads the catalog in half the time and checkpoints
# faster: about 13 instead of 26 ms to open the demo's warehouse (130 tables and views)
# and 11 instead of 17 ms to close it after a small write, paid by every task that writes
# (benchmarks/README.md, tenth round). A file keeps the format it was created with.
# Releases (``published.duckdb``, what BI tools open) keep DuckDB's default.
WAREHOUSE_STORAGE_VERSION = "v1.4.0"

_LOCK_CONFLICT = "Could not set lock on file"
_HOLDER = re.compile(r"Conflicting lock is held in (.*?\(PID \d+\))")


class WarehouseBusyError(RuntimeError):
    """Another process kept the database file open for longer than this one would wait."""

    def __init__(self, path: Path, *, read_only: bool, waited: float, holder: str | None,
                 timeout_setting: str | None) -> None:
        self.path = path
        self.read_only = read_only
        self.waited = waited
        self.holder = holder
        release = _latest_release_hint(path)
        held_by = f" ({holder})" if holder else ""
        waited_text = f"waited {waited:.0f} s"
        if timeout_setting:
            waited_text += f" ({timeout_setting})"
        if read_only:
            message = (f"cannot open {path} read-only: a writer holds it{held_by}; {waited_text}. "
                       "A DAG run or a load is writing; retry when it has finished")
            if release:
                message += f", or open the latest release instead: {release}"
        else:
            message = (f"cannot open {path} for writing: another process holds it{held_by}; "
                       f"{waited_text}. Close that process's connection to it (an analyst's "
                       "session or query loop reading the warehouse) and retry the task")
            if release:
                message += f"; readers should open the latest release instead: {release}"
        super().__init__(message + ".")


class QueryTimeoutError(RuntimeError):
    """A warehouse query ran longer than ``CITYHEALTH_QUERY_TIMEOUT_SECONDS``; it was stopped."""

    RULE_ZH = "数据库查询超过时限，已中止；请稍后重试，如仍超时请联系平台管理员检查数据量或调整时限"

    def __init__(self, purpose: str, limit: float, setting: str | None) -> None:
        self.purpose = purpose
        self.limit = limit
        limit_text = f"{limit:g} s"
        if setting:
            limit_text += f" ({setting})"
        super().__init__(
            f"{self.RULE_ZH} ({purpose}: the query ran longer than its limit of {limit_text} "
            "and was interrupted; nothing of it was kept. Retry; if it times out again, "
            f"look for a query that hangs or raise {QUERY_TIMEOUT_ENV})")


# After the limit, how long the watchdog waits for an interrupted query to stop before it
# ends the process: a query DuckDB cannot interrupt (duckdb/duckdb#24961: every thread
# parked, interrupt never honoured) would otherwise hold the writer lock and the file for
# ever. The exit releases both; a load that had not committed is retried by the next run.
HARD_STOP_GRACE = 60.0
EXIT_QUERY_HUNG = 75  # EX_TEMPFAIL: try again later


def _hard_stop(error: QueryTimeoutError, grace: float) -> None:
    """Log why, then end the process at once (the stuck thread cannot be unwound)."""
    text = (f"{error} DuckDB did not stop the query within {grace:g} s of the interrupt; "
            f"ending process {os.getpid()} to release the warehouse (exit code {EXIT_QUERY_HUNG})")
    log.critical(text)
    print(text, file=sys.stderr, flush=True)
    for handler in logging.getLogger().handlers:
        with suppress(Exception):
            handler.flush()
    os._exit(EXIT_QUERY_HUNG)


def query_time_limit() -> float:
    """Seconds a warehouse query may run (``CITYHEALTH_QUERY_TIMEOUT_SECONDS``, 1800; 0: none)."""
    return settings().query_timeout


@contextmanager
def query_timeout(con: duckdb.DuckDBPyConnection, purpose: str,
                  seconds: float | None = None) -> Iterator[None]:
    """Interrupt what ``con`` runs inside the block once ``seconds`` have passed.

    ``purpose`` says in plain words what the block does (``validation of batch …``): the
    :class:`QueryTimeoutError` raised then names it and the limit. Default limit:
    ``CITYHEALTH_QUERY_TIMEOUT_SECONDS``; 0 means no limit. The limit holds for the
    whole block (a load's queries and its Python steps between them). DuckDB's
    ``interrupt`` normally stops the running query within milliseconds; a block that has
    not ended ``HARD_STOP_GRACE`` seconds after it ends the process, after logging the
    same error (a hung query cannot be unwound otherwise).
    """
    setting = None
    if seconds is None:
        seconds = query_time_limit()
        setting = f"{QUERY_TIMEOUT_ENV}={seconds:g}"
    if not seconds:
        yield
        return
    fired = threading.Event()
    done = threading.Event()

    def watchdog() -> None:
        if not done.wait(seconds):
            fired.set()
            log.error("%s: still running after %g s; interrupting it", purpose, seconds)
            # until the block ends: a query started between two interrupts is stopped too
            stop_at = time.monotonic() + HARD_STOP_GRACE
            while not done.wait(0.05):
                with suppress(duckdb.Error):  # closed meanwhile: nothing left to stop
                    con.interrupt()
                if time.monotonic() > stop_at:
                    _hard_stop(QueryTimeoutError(purpose, seconds, setting), HARD_STOP_GRACE)

    thread = threading.Thread(target=watchdog, name="query-timeout", daemon=True)
    thread.start()
    try:
        yield
    except duckdb.Error as error:
        if fired.is_set():
            raise QueryTimeoutError(purpose, seconds, setting) from error
        raise
    finally:
        done.set()
        thread.join()
    if fired.is_set():  # the block swallowed the interrupt: it did not finish its work
        raise QueryTimeoutError(purpose, seconds, setting)


def _latest_release_hint(path: Path) -> Path | None:
    """releases/latest/published.duckdb when ``path`` is the deployment's warehouse."""
    cfg = settings()
    if path.resolve() != cfg.warehouse_path.resolve():
        return None
    return cfg.releases_dir / LATEST_RELEASE_DB


def lock_timeout() -> float:
    """Seconds a writer waits for the file (``CITYHEALTH_WAREHOUSE_LOCK_TIMEOUT``, 120)."""
    return settings().warehouse_lock_timeout


@cache
def extension_path(name: str) -> Path:
    """Path of a DuckDB extension shipped by the ``duckdb-extension-<name>`` wheel.

    DuckDB would download extensions at ``INSTALL``; government networks are closed,
    so the platform loads the file the package registry delivered instead.
    """
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package duckdb-extension-{name} is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.rglob(f"{name}.duckdb_extension"))
    if not found:
        raise RuntimeError(f"no {name}.duckdb_extension inside {root}")
    return found[0]


def load_extensions(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        con.execute(f"load '{extension_path(name)}'")


def _open(path: Path, *, read_only: bool, timeout: float | None) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried while another process holds the file, up to ``timeout``."""
    timeout_setting = None
    if timeout is None:
        if read_only:
            timeout = DEFAULT_READ_TIMEOUT
        else:
            timeout = lock_timeout()
            timeout_setting = f"{LOCK_TIMEOUT_ENV}={timeout:g}"
    started = time.monotonic()
    waiting = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if _LOCK_CONFLICT not in str(error):
                raise
            waited = time.monotonic() - started
            holder = _HOLDER.search(str(error))
            holder_text = holder.group(1) if holder else None
            if waited >= timeout:
                raise WarehouseBusyError(
                    path, read_only=read_only, waited=waited, holder=holder_text,
                    timeout_setting=timeout_setting,
                ) from error
            if not waiting:
                waiting = True
                # a writer's wait shows in the task log; a reader's would only be noise
                log.log(
                    logging.INFO if read_only else logging.WARNING,
                    "%s is held by another process (%s); waiting up to %g s to open it%s",
                    path, holder_text or "unknown", timeout, " read-only" if read_only else "",
                )
            time.sleep(min(random.uniform(*_RETRY_PAUSE), max(timeout - waited, 0.0)))
            continue
        if waiting:
            log.info("opened %s after waiting %.1f s", path, time.monotonic() - started)
        return con


def connect(
    path: Path | None = None,
    *,
    read_only: bool = False,
    extensions: tuple[str, ...] = (),
    timeout: float | None = None,
) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse (or another DuckDB file), extensions loaded offline.

    While another process holds the file, waits up to ``timeout`` seconds (default: a
    writer ``CITYHEALTH_WAREHOUSE_LOCK_TIMEOUT``, 120; a reader 10), then raises
    :class:`WarehouseBusyError`.
    """
    path = path or settings().warehouse_path
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only=read_only, timeout=timeout)
    try:
        con.execute("set timezone = 'Asia/Shanghai'")
        apply_resources(con)
        load_extensions(con, *extensions)
    except BaseException:
        con.close()
        raise
    return con


def apply_resources(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's memory limit, threads and spill folder from the settings.

    They hold for the database instance, so also for dbt's connection to a file this
    process has open (``cityhealth.warehouse.dbt``). DuckDB refuses a new spill folder
    while it has spill files in another one: then the folder it uses is kept.
    """
    cfg = settings()
    cfg.duckdb_temp_directory.mkdir(parents=True, exist_ok=True)
    con.execute(f"set memory_limit = '{cfg.duckdb_memory_limit}'")
    con.execute(f"set threads = {int(cfg.duckdb_threads)}")
    # a long load or query would draw DuckDB's progress bar into a task's log
    con.execute("set enable_progress_bar = false")
    current = con.execute("select current_setting('temp_directory')").fetchone()[0]
    if Path(current or ".").absolute() != cfg.duckdb_temp_directory.absolute():
        try:
            con.execute(f"set temp_directory = {literal(cfg.duckdb_temp_directory)}")
        except duckdb.Error as error:
            log.warning("keeping DuckDB's temp directory %s: %s", current, error)


def read_only(
    path: Path | None = None,
    *,
    timeout: float = DEFAULT_READ_TIMEOUT,
    extensions: tuple[str, ...] = (),
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse, for analysts and tests.

    Waits up to ``timeout`` seconds while a writer holds the file; use it as
    ``with read_only() as con: ...`` (the connection closes at the end of the block)
    and close it soon: while it is open, no writer can start. To read during a DAG
    run without waiting, open the latest release (``releases/latest/published.duckdb``).
    """
    return connect(path, read_only=True, extensions=extensions, timeout=timeout)


def literal(text: str | Path) -> str:
    """``text`` as an SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def create_database(path: Path | str) -> None:
    """A new, empty database file in :data:`WAREHOUSE_STORAGE_VERSION`'s format (also for
    the benchmarks' references, so that they write what the platform writes)."""
    with duckdb.connect() as con:
        con.execute(f"attach {literal(path)} as new_warehouse "
                    f"(storage_version '{WAREHOUSE_STORAGE_VERSION}')")
        con.execute("detach new_warehouse")


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and quality schemas if missing (idempotent)."""
    con.execute(RAW_SCHEMA_SQL.read_text(encoding="utf-8"))


# The write slots this thread holds (path -> depth), so that a writer nested in another
# (e.g. a dbt run inside a writer block) does not wait for itself on the lock file.
_held = threading.local()


@contextmanager
def write_slot(
    path: Path | None = None, *, timeout: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single write slot, without the raw schema: the lock file, then a connection.

    ``<db>.write.lock`` serialises writers (threads and processes) that go through
    here; the connection then waits for readers (see :func:`connect`). A file that does
    not exist yet is created in :data:`WAREHOUSE_STORAGE_VERSION`'s format.
    """
    path = (path or settings().warehouse_path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    held: dict[Path, int] = _held.__dict__.setdefault("slots", {})
    with ExitStack() as stack:
        if not held.get(path):  # the outermost writer of this thread takes the lock file
            stack.enter_context(_lock_file(path.with_suffix(".write.lock"), path))
        held[path] = held.get(path, 0) + 1
        try:
            if not path.exists():
                create_database(path)
            con = connect(path, timeout=timeout)
            try:
                yield con
            finally:
                con.close()
        finally:
            held[path] -= 1


@contextmanager
def _lock_file(lock_path: Path, path: Path) -> Iterator[None]:
    """An exclusive flock on ``lock_path``: waits, without limit, for another writer."""
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another writer has %s; waiting for it to finish", path)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def writer(
    path: Path | None = None, *, timeout: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single write slot: an exclusive lock file beside the database, then a connection.

    Within Airflow the ``warehouse_writer`` pool already serialises writing tasks;
    the lock also covers writers outside Airflow (the demo, a shell). Readers that
    hold the file are waited for (``timeout``, default ``CITYHEALTH_WAREHOUSE_LOCK_TIMEOUT``).
    """
    with write_slot(path, timeout=timeout) as con:
        ensure_raw_schema(con)
        yield con


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame) -> None:
    """Append a pandas DataFrame to a table, matching columns by name."""
    con.register("_insert_frame", frame)
    try:
        con.execute(f"insert into {table} by name select * from _insert_frame")
    finally:
        con.unregister("_insert_frame")
