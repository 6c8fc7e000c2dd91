"""Opening the warehouse.

DuckDB lets one process write a database file, and while it does no other
process may open it. Writers therefore go through :func:`writer` (one at a
time, also enforced by the Airflow pool ``warehouse_writer``); readers who must
never wait use a published release (``warehouse.release``).
"""

from __future__ import annotations

import fcntl
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from cityhealth.settings import settings

RAW_SCHEMA_SQL = Path(__file__).with_name("raw_schema.sql")


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


def connect(
    path: Path | None = None, *, read_only: bool = False, extensions: tuple[str, ...] = ()
) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse (or another DuckDB file), extensions loaded offline."""
    path = path or settings().warehouse_path
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set timezone = 'Asia/Shanghai'")
    load_extensions(con, *extensions)
    return con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and quality schemas if missing (idempotent)."""
    con.execute(RAW_SCHEMA_SQL.read_text(encoding="utf-8"))


@contextmanager
def writer(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single write slot: an exclusive lock file beside the database, then a connection.

    Within Airflow the ``warehouse_writer`` pool already serialises writing tasks;
    the lock also covers writers outside Airflow (the demo, a shell).
    """
    path = path or settings().warehouse_path
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_suffix(".write.lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        con = connect(path)
        try:
            ensure_raw_schema(con)
            yield con
        finally:
            con.close()
            fcntl.flock(lock, fcntl.LOCK_UN)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame) -> None:
    """Append a pandas DataFrame to a table, matching columns by name."""
    con.register("_insert_frame", frame)
    try:
        con.execute(f"insert into {table} by name select * from _insert_frame")
    finally:
        con.unregister("_insert_frame")
