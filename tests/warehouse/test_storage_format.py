"""The warehouse's storage format: a new warehouse is created in DuckDB 1.4's format, which
opens and checkpoints faster than DuckDB's default; a file keeps the format it has."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from cityhealth.core.settings import REPO_ROOT, settings
from cityhealth.warehouse.connection import (
    WAREHOUSE_STORAGE_VERSION,
    read_only,
    writer,
)


def _format(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select tags['storage_version'] from duckdb_databases() "
                       "where database_name = current_database()").fetchone()[0]


def test_a_new_warehouse_is_created_in_the_set_format(cityhealth_home: Path) -> None:
    path = settings().warehouse_path
    assert not path.exists()
    with writer() as con:
        con.execute("create table main.t as select 1 as x")
        assert _format(con) == f"{WAREHOUSE_STORAGE_VERSION}+"
    with read_only() as con:  # written, closed and opened again: the same format
        assert _format(con) == f"{WAREHOUSE_STORAGE_VERSION}+"
        assert con.execute("select x from main.t").fetchall() == [(1,)]
        assert con.execute("select count(*) from raw.load_batches").fetchone() == (0,)


def test_a_warehouse_keeps_the_format_it_was_created_with(cityhealth_home: Path) -> None:
    path = settings().warehouse_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:  # DuckDB's default for a new file
        con.execute("create table main.t as select 1 as x")
        default = _format(con)
    assert default != f"{WAREHOUSE_STORAGE_VERSION}+"
    with writer() as con:
        con.execute("insert into main.t values (2)")
    with read_only() as con:
        assert _format(con) == default
        assert con.execute("select x from main.t order by x").fetchall() == [(1,), (2,)]


def test_the_conversion_in_the_deployment_guide(cityhealth_home: Path) -> None:
    """docs/deploy.md's statement converts an older warehouse into the set format."""
    guide = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    statement = re.search(r"`(attach '/data/warehouse/new\.duckdb'[^`]+)`", guide).group(1)
    folder = settings().warehouse_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(folder / "cityhealth.duckdb")) as con:  # DuckDB's default format
        con.execute("create schema marts")
        con.execute("create table marts.t as select 1 as x")
        con.execute("create view marts.v as select x + 1 as y from marts.t")
        con.execute(statement.replace("/data/warehouse/", f"{folder}/"))
    with duckdb.connect(str(folder / "new.duckdb"), read_only=True) as con:
        assert _format(con) == f"{WAREHOUSE_STORAGE_VERSION}+"
        assert con.execute("select y from marts.v").fetchall() == [(2,)]
