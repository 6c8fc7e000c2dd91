"""The platform with Airflow's metadata in PostgreSQL, as on servers (docker-compose.yml).

A real PostgreSQL server (binaries from the pgserver wheel, else the machine's) on a
free port of 127.0.0.1; the project's embedded runner pointed at it through
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN (the variable docker-compose.yml sets, with the
same driver); `airflow db migrate`, the writer pool and a whole `annual_health_check`
run on the demo data; then the metadata is read back from PostgreSQL itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cityhealth.core import settings as settings_module
from tests.deploy.postgres import LocalPostgres, find_binaries
from tests.geography import CITIES

pytestmark = pytest.mark.slow

DAG_ID = "annual_health_check"
DATABASE = "airflow"


@pytest.fixture(scope="module")
def postgres() -> Iterator[LocalPostgres]:
    bin_dir, origin = find_binaries()
    if bin_dir is None:
        pytest.skip(origin)
    server = LocalPostgres(bin_dir)
    try:
        server.start()
        server.create_database(DATABASE)
        yield server
    finally:
        server.stop()


@dataclass
class Platform:
    home: Path
    conn: str
    log_file: Path


@pytest.fixture(scope="module")
def platform(postgres: LocalPostgres,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    home = tmp_path_factory.mktemp("pg-platform")
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("AIRFLOW"):
            del os.environ[name]
    conn = postgres.url(DATABASE)
    os.environ["CITYHEALTH_HOME"] = str(home)
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = conn
    settings_module.settings.cache_clear()
    try:
        from cityhealth.demo.generator import generate
        from cityhealth.orchestration.airflow_env import airflow_environment, prepare_airflow

        os.environ.update(airflow_environment())
        cfg = settings_module.settings()
        cfg.ensure_dirs()
        generate(cfg.landing_dir, cfg.profile)
        log_file = home / "airflow.log"
        prepare_airflow(log_file)
        yield Platform(home, conn, log_file)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings_module.settings.cache_clear()


def test_the_embedded_runner_keeps_the_deployers_database(platform: Platform) -> None:
    from cityhealth.orchestration.airflow_env import airflow_environment

    assert airflow_environment()["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == platform.conn


def test_airflow_db_migrate_and_the_writer_pool_are_in_postgres(
        platform: Platform, postgres: LocalPostgres) -> None:
    con = postgres.connect(DATABASE)
    try:
        with con.cursor() as cur:
            cur.execute("select version_num from alembic_version")
            assert cur.fetchone()[0]
            cur.execute("select slots from slot_pool where pool = 'warehouse_writer'")
            assert cur.fetchall() == [(1,)]
    finally:
        con.close()
    # nothing went to the embedded default (SQLite under AIRFLOW_HOME)
    assert not list(platform.home.rglob("airflow.db"))


def test_a_dag_run_completes_with_its_metadata_in_postgres(
        platform: Platform, postgres: LocalPostgres) -> None:
    from cityhealth.orchestration.airflow_env import logical_date_for_check_year, run_dag

    check_year = settings_module.settings().profile.check_year
    result = run_dag(DAG_ID, logical_date_for_check_year(check_year), platform.log_file)
    assert result.state == "success", (result.failed_tasks, result.log_file)
    assert result.task_states and all(s == "success" for s in result.task_states.values())

    con = postgres.connect(DATABASE)
    try:
        with con.cursor() as cur:
            cur.execute("select state from dag_run where dag_id = %s and run_id = %s",
                        (DAG_ID, result.run_id))
            assert cur.fetchall() == [("success",)]
            cur.execute("select task_id, state from task_instance "
                        "where dag_id = %s and run_id = %s", (DAG_ID, result.run_id))
            rows = cur.fetchall()
    finally:
        con.close()
    assert len(rows) == len(result.task_states)
    assert {state for _, state in rows} == {"success"}
    assert {task_id for task_id, _ in rows} == {t.split("[")[0] for t in result.task_states}

    # the run did its work in CITYHEALTH_HOME: the release BI tools read
    from cityhealth.warehouse.release import open_latest

    release = open_latest()
    try:
        cities = release.execute(
            "select count(*) from pub_health_index where area_level = 'city' "
            "and period_year = ?", [check_year]).fetchone()[0]
    finally:
        release.close()
    assert cities == len(CITIES)
