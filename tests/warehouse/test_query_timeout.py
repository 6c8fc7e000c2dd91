"""A warehouse query that runs too long is stopped with an error that says what ran and
the limit, and the connection and the write slot are free again afterwards; DuckDB's
memory, threads and spill folder are the deployment's settings, for our connections and
for dbt's profile alike."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cityhealth.core.settings import QUERY_TIMEOUT_ENV, settings
from cityhealth.warehouse.connection import (
    EXIT_QUERY_HUNG,
    QueryTimeoutError,
    connect,
    query_timeout,
    writer,
)

# Far more than any test machine counts in minutes; DuckDB cannot shortcut it.
ENDLESS = ("select count(*) from range(100000000) a, range(100000000) b "
           "where a.range + b.range = -1")


def test_a_long_query_is_interrupted_at_the_limit_with_a_plain_error(
        cityhealth_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(QUERY_TIMEOUT_ENV, "1.5")
    settings.cache_clear()
    with writer() as con:
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError) as raised, \
                query_timeout(con, "validation of batch survey:2025:abc"):
            con.execute(ENDLESS).fetchall()
        took = time.monotonic() - started
        assert 1.5 <= took < 3.5, took
        message = str(raised.value)
        assert message.startswith("数据库查询超过时限，已中止")
        assert "validation of batch survey:2025:abc" in message
        assert f"1.5 s ({QUERY_TIMEOUT_ENV}=1.5)" in message
        # the same connection answers the next query
        assert con.execute("select 42").fetchone() == (42,)

    # and the write slot is free: another thread (its own lock file handle) gets it at once
    got: list[float] = []

    def other_writer() -> None:
        begun = time.monotonic()
        with writer(timeout=5) as other:
            other.execute("select 1").fetchone()
        got.append(time.monotonic() - begun)

    thread = threading.Thread(target=other_writer)
    thread.start()
    thread.join(timeout=30)
    assert got and got[0] < 5


def test_a_quick_query_is_not_touched(cityhealth_home: Path) -> None:
    with writer() as con, query_timeout(con, "a count", seconds=2):
        assert con.execute("select count(*) from range(1000)").fetchone() == (1000,)
    time.sleep(2.2)  # past the limit: the watchdog ended with the block
    with writer() as con:
        assert con.execute("select 1").fetchone() == (1,)


def test_no_limit_when_set_to_zero(cityhealth_home: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(QUERY_TIMEOUT_ENV, "0")
    settings.cache_clear()
    with writer() as con, query_timeout(con, "unlimited"):
        assert not any(t.name == "query-timeout" for t in threading.enumerate())
        assert con.execute("select 1").fetchone() == (1,)


def test_validation_of_a_batch_that_hangs_fails_naming_the_batch(
        cityhealth_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cityhealth.expectations import suites

    monkeypatch.setenv(QUERY_TIMEOUT_ENV, "1")
    settings.cache_clear()
    suites.gx_context()
    plan = suites.third_party_values(2025)
    hanging = suites.SuitePlan(plan.name, plan.suite, ENDLESS, plan.key_columns)
    with writer() as con:
        with pytest.raises(QueryTimeoutError, match="validation of batch b1 "
                                                    r"\(suite third_party_values\)"):
            suites.batch_frame(con, hanging, "b1", 2025)
        assert con.execute("select 1").fetchone() == (1,)


# A block that does not end after the interrupt (as a query DuckDB cannot interrupt):
# the process ends with the error in its log, so that it gives the warehouse back.
STUCK = """
import time
from pathlib import Path
from cityhealth.warehouse import connection
connection.HARD_STOP_GRACE = 0.5
con = connection.connect(Path(__import__("sys").argv[1]))
with connection.query_timeout(con, "load of stuck.csv", seconds=0.5):
    time.sleep(30)
print("not reached")
"""


def test_a_query_that_ignores_the_interrupt_ends_its_process(tmp_path: Path) -> None:
    env = {**os.environ, "CITYHEALTH_HOME": str(tmp_path / "home"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", STUCK, str(tmp_path / "w.duckdb")],
                          capture_output=True, text=True, timeout=60, env=env,
                          start_new_session=True)
    assert time.monotonic() - started < 20
    assert done.returncode == EXIT_QUERY_HUNG, done.stderr
    assert "not reached" not in done.stdout
    assert "数据库查询超过时限" in done.stderr and "load of stuck.csv" in done.stderr
    assert "ending process" in done.stderr


def test_connections_take_duckdb_resources_from_the_settings(
        cityhealth_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    monkeypatch.setenv("CITYHEALTH_DUCKDB_MEMORY_LIMIT", "512MB")
    monkeypatch.setenv("CITYHEALTH_DUCKDB_THREADS", "1")
    monkeypatch.setenv("CITYHEALTH_DUCKDB_TEMP_DIRECTORY", str(spill))
    settings.cache_clear()
    con = connect(tmp_path / "a.duckdb")
    try:
        limit, threads, temp = con.execute(
            "select current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('temp_directory')").fetchone()
    finally:
        con.close()
    assert (limit, threads, temp) == ("488.2 MiB", 1, str(spill))  # 512 MB in MiB
    assert spill.is_dir()


def test_the_defaults_suit_a_shared_server(cityhealth_home: Path) -> None:
    cfg = settings()
    assert cfg.duckdb_memory_limit == "4GB"
    assert cfg.duckdb_threads == os.cpu_count()
    assert cfg.duckdb_temp_directory == cityhealth_home.resolve() / "tmp" / "duckdb"
    assert (cfg.query_timeout, cfg.task_timeout) == (1800.0, 10800.0)


def _rendered_profile() -> dict:
    """dbt's profile as dbt renders it (env_var) from the current environment."""
    from dbt.config.profile import read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    from cityhealth.core.settings import DBT_PROJECT_DIR

    set_invocation_context(os.environ)
    raw = read_profile(str(DBT_PROJECT_DIR))
    return ProfileRenderer({}).render_data(raw["cityhealth"]["outputs"]["duckdb"])


def test_dbt_gets_the_same_duckdb_settings(cityhealth_home: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    from cityhealth.warehouse.dbt import duckdb_environment

    monkeypatch.setenv("CITYHEALTH_DUCKDB_MEMORY_LIMIT", "3GB")
    monkeypatch.setenv("CITYHEALTH_DUCKDB_THREADS", "2")
    monkeypatch.delenv("CITYHEALTH_DUCKDB_TEMP_DIRECTORY", raising=False)
    settings.cache_clear()
    environment = duckdb_environment()
    for name, value in {**environment, "CITYHEALTH_WAREHOUSE": str(tmp_path / "w.duckdb")}.items():
        monkeypatch.setenv(name, value)
    rendered = _rendered_profile()["settings"]
    assert rendered["memory_limit"] == "3GB"
    assert rendered["threads"] == "2"
    # The spill folder is set once on the database instance by the platform's connection,
    # never by dbt: dbt-duckdb repeats its settings on every cursor, and DuckDB refuses
    # `SET temp_directory` after it has spilled, which failed a build at its next node.
    assert "temp_directory" not in rendered



# More distinct groups than 64 MB hold: DuckDB spills the aggregate to its temp folder.
SPILLING = ("select count(*) from "
            "(select distinct md5(i::varchar) from range(3000000) r(i))")


def test_dbt_opens_cursors_after_duckdb_has_spilled(
        cityhealth_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """dbt-duckdb applies the profile's settings to every cursor it opens (one per node),
    on the database instance the platform opened (cityhealth.warehouse.dbt holds the
    write slot). With the spill folder among them, DuckDB refused every node after the
    first spill: "Cannot switch temporary directory after the current one has been used"
    (a scale-4 build failed that way)."""
    from types import SimpleNamespace

    from dbt.adapters.duckdb.environments import Environment

    from cityhealth.warehouse.dbt import duckdb_environment

    monkeypatch.setenv("CITYHEALTH_DUCKDB_MEMORY_LIMIT", "64MB")
    monkeypatch.setenv("CITYHEALTH_DUCKDB_THREADS", "1")
    settings.cache_clear()
    warehouse = tmp_path / "w.duckdb"
    for name, value in {**duckdb_environment(), "CITYHEALTH_WAREHOUSE": str(warehouse)}.items():
        monkeypatch.setenv(name, value)
    profile = SimpleNamespace(settings=_rendered_profile()["settings"], retries=None)
    con = connect(warehouse)
    try:
        assert con.execute(SPILLING).fetchone() == (3000000,)
        spilled_to = con.execute("select current_setting('temp_directory')").fetchone()[0]
        cursor = con.cursor()
        Environment.initialize_cursor(profile, cursor)  # what dbt-duckdb does per node
        assert cursor.execute("select 1").fetchone() == (1,)
        assert cursor.execute("select current_setting('temp_directory')").fetchone() == \
            (spilled_to,)
    finally:
        con.close()
    assert spilled_to == str(settings().duckdb_temp_directory)
