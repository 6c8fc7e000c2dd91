"""What the README's "Connect a BI tool" section promises: SQLAlchemy and the DuckDB CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy

from tests.warehouse.test_release import ROWS_A, fill
from warehouse.release import latest_release_db, publish


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
