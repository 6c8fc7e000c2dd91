"""annual_health_check runs through Airflow on the demo data and publishes the index.

One module-scoped platform home: the demo deliveries are generated once, the
first run must succeed; then a bad delivery is dropped and the second run must
fail only that source, still build and publish from what passed, and end failed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cityhealth import settings as settings_module

pytestmark = pytest.mark.slow

CHECK_YEAR = 2025


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("platform")
    saved = dict(os.environ)
    os.environ["CITYHEALTH_HOME"] = str(home)
    for name in list(os.environ):
        if name.startswith("AIRFLOW"):
            del os.environ[name]
    settings_module.settings.cache_clear()
    from cityhealth.airflow_env import airflow_environment, prepare_airflow
    from ingestion.demo import generate

    os.environ.update(airflow_environment())
    cfg = settings_module.settings()
    cfg.ensure_dirs()
    generate(cfg.landing_dir, cfg.profile)
    prepare_airflow(home / "airflow.log")
    yield home
    os.environ.clear()
    os.environ.update(saved)
    settings_module.settings.cache_clear()


def run(home: Path):
    from cityhealth.airflow_env import logical_date_for_check_year, run_dag

    return run_dag("annual_health_check", logical_date_for_check_year(CHECK_YEAR),
                   home / "airflow.log")


def test_first_run_succeeds_and_publishes_the_index(platform: Path) -> None:
    result = run(platform)
    assert result.state == "success", (result.failed_tasks, result.log_file)
    assert all(state == "success" for state in result.task_states.values())
    from warehouse.release import open_latest

    con = open_latest()
    rows = con.execute(
        "select area_code, health_index, rank_in_province from pub_health_index "
        "where area_level = 'city' and period_year = ? order by rank_in_province",
        [CHECK_YEAR]).fetchall()
    con.close()
    assert len(rows) == 11
    assert [r[2] for r in rows] == list(range(1, 12))
    assert all(0 < r[1] < 100 for r in rows)


def test_the_run_wrote_an_offline_report_per_city(platform: Path) -> None:
    reports = sorted((platform / "reports" / str(CHECK_YEAR)).glob("城市体检报告_*.html"))
    assert len(reports) == 11
    nanchang = next(p for p in reports if "360100" in p.name)
    text = nanchang.read_text(encoding="utf-8")
    assert "南昌市2025年度城市体检报告" in text
    assert "城市健康指数" in text and "排名第" in text
    assert text.count("data:image/png;base64,") == 2
    assert "http://" not in text and "https://" not in text
    assert "未达标" in text


def test_a_bad_delivery_fails_its_source_but_not_the_build(platform: Path) -> None:
    landing = platform / "landing" / "dept_wr" / str(CHECK_YEAR)
    [delivered] = list(landing.iterdir())
    lines = delivered.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[5].split(",")
    cells[-1] = "数据待补"  # text in a numeric column, data row 5
    lines[5] = ",".join(cells)
    (landing / "水利局_更正版.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run(platform)
    assert result.state == "failed"
    assert result.task_states["dept_wr.ingest"] == "failed"
    assert result.task_states["dept_ee.ingest"] == "success"
    assert result.task_states["build_marts"] == "success"
    assert result.task_states["publish_release"] == "success"
    assert result.task_states["all_batches_valid"] == "upstream_failed"

    from warehouse.connection import connect

    con = connect(read_only=True)
    status, error = con.execute(
        "select status, error from raw.load_batches where original_name like '%更正版%'"
    ).fetchone()
    con.close()
    assert status == "quarantined"
    assert "dept_wr" in error and "row 5" in error and "数据待补" in error, error
    assert any((platform / "quarantine").iterdir())
    log = result.log_file.read_text(encoding="utf-8", errors="replace")
    assert "水利局_更正版.csv" in log
