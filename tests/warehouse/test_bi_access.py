"""What the README's "Connect a BI tool" section promises: SQLAlchemy and the DuckDB CLI.

Reflection (inspect, autoload, pandas.read_sql_table) is what Superset, Metabase and
notebooks do first; with duckdb-engine 0.17 it fails under SQLAlchemy 2.1
("pg_catalog.pg_collation not found") and 2.0.55+ (autoload: "Type with name REGCLASS
does not exist"), hence the pin SQLAlchemy>=2.0.50,<2.0.55 in pyproject.toml.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas
import pytest
import sqlalchemy

from cityhealth.warehouse.connection import writer
from cityhealth.warehouse.release import latest_release_db, publish
from tests.warehouse.test_release import ROWS_A, fill

# duckdb-engine says so at every reflection; columns, types and rows are what BI tools need.
pytestmark = pytest.mark.filterwarnings(
    "ignore:duckdb-engine doesn't yet support reflection on indices")


def test_sqlalchemy_url_reads_the_latest_release_read_only(cityhealth_home: Path) -> None:
    fill(ROWS_A)
    publish("2025", run_id="bi")
    url = f"duckdb:///{latest_release_db()}"
    engine = sqlalchemy.create_engine(url, connect_args={"read_only": True})
    with engine.connect() as con:
        tables = sqlalchemy.inspect(con).get_view_names() + sqlalchemy.inspect(
            con).get_table_names()
        assert {"pub_values", "pub_count"} <= set(tables)
        count = con.execute(sqlalchemy.text("select n from pub_count")).scalar_one()
        assert count == ROWS_A
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
            con.execute(sqlalchemy.text("create table nope as select 1"))
    engine.dispose()


def test_duckdb_cli_opens_the_latest_release(cityhealth_home: Path) -> None:
    fill(ROWS_A)
    publish("2025", run_id="cli")
    cli = Path(sys.executable).parent / "duckdb"
    done = subprocess.run(
        [str(cli), "-readonly", "-csv", str(latest_release_db()), "-c",
         "select count(*) as n from pub_values"],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n", str(ROWS_A)]


def fill_health_index() -> None:
    """A hand-made pub_health_index with the contract's kinds of columns."""
    with writer() as con:
        con.execute("create schema if not exists published")
        con.execute("create or replace table published.pub_health_index ("
                    "area_code varchar, area_name_zh varchar, period_year integer, "
                    "health_index double, rank_in_province integer, is_city boolean, "
                    "as_of date)")
        con.execute("insert into published.pub_health_index values "
                    "('360100', '南昌市', 2025, 81.25, 1, true, date '2025-12-31'), "
                    "('360200', '景德镇市', 2025, 77.5, 2, true, date '2025-12-31')")


def read_only_engine() -> sqlalchemy.Engine:
    return sqlalchemy.create_engine(f"duckdb:///{latest_release_db()}",
                                    connect_args={"read_only": True})


EXPECTED_COLUMNS = {
    "area_code": sqlalchemy.types.String, "area_name_zh": sqlalchemy.types.String,
    "period_year": sqlalchemy.types.Integer, "health_index": sqlalchemy.types.Float,
    "rank_in_province": sqlalchemy.types.Integer, "is_city": sqlalchemy.types.Boolean,
    "as_of": sqlalchemy.types.Date,
}


def test_sqlalchemy_reflects_the_columns_and_types(cityhealth_home: Path) -> None:
    fill_health_index()
    publish("2025", run_id="bi")
    engine = read_only_engine()
    try:
        columns = sqlalchemy.inspect(engine).get_columns("pub_health_index")
        assert [c["name"] for c in columns] == list(EXPECTED_COLUMNS)
        for column in columns:
            assert isinstance(column["type"], EXPECTED_COLUMNS[column["name"]]), column
    finally:
        engine.dispose()


def test_sqlalchemy_autoloads_the_table(cityhealth_home: Path) -> None:
    fill_health_index()
    publish("2025", run_id="bi")
    engine = read_only_engine()
    try:
        table = sqlalchemy.Table("pub_health_index", sqlalchemy.MetaData(),
                                 autoload_with=engine)
        assert list(table.columns.keys()) == list(EXPECTED_COLUMNS)
        query = (sqlalchemy.select(table.c.area_name_zh, table.c.health_index)
                 .order_by(table.c.rank_in_province))
        with engine.connect() as con:
            assert con.execute(query).all() == [("南昌市", 81.25), ("景德镇市", 77.5)]
    finally:
        engine.dispose()


def test_pandas_reads_the_table_through_sqlalchemy(cityhealth_home: Path) -> None:
    fill_health_index()
    publish("2025", run_id="bi")
    engine = read_only_engine()
    try:
        frame = pandas.read_sql_table("pub_health_index", engine)
    finally:
        engine.dispose()
    assert list(frame.columns) == list(EXPECTED_COLUMNS)
    frame = frame.sort_values("rank_in_province")
    assert frame["area_code"].tolist() == ["360100", "360200"]
    assert frame["health_index"].tolist() == [81.25, 77.5]
