"""Bad deliveries dropped beside good ones never move a published figure of the check year.

A check year is built and published; then, beside good deliveries (a re-saved copy of a
department's file, one whose first load was interrupted), bad ones are dropped: a value
of implausible magnitude (the gate), text in a number column (ingestion), and a
correction that would turn a whole column of values already delivered into missing
ones (the correction policy). The run goes on as the DAG's steps do; every bad delivery
is quarantined with ``error.txt``, every good one is promoted, and the release published
again holds the same figures.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cityhealth.core import settings as settings_module
from tests.published_figures import figures

pytestmark = pytest.mark.slow

YEAR = 2025


@dataclasses.dataclass
class CheckYear:
    home: Path
    release: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.home / "warehouse" / "cityhealth.duckdb"), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def run_check_year(period: str) -> dict[str, str]:
    """What the annual DAG runs, step by step: each source's ingest (a failure is the
    task's, the run goes on) and validation, dbt layer by layer, publish. Returns the
    failed ingest steps' messages by source."""
    from cityhealth.expectations.gate import ValidationFailed
    from cityhealth.orchestration import pipeline

    failed = {}
    for source_id in pipeline.sources_with_cadence("annual"):
        try:
            pipeline.ingest(source_id, period)
            pipeline.validate(source_id, period)
        except (pipeline.StepFailed, ValidationFailed) as error:
            failed[source_id] = str(error)
    for layer in pipeline.DBT_LAYERS:
        pipeline.build_layer(layer, period)
    return failed


@pytest.fixture(scope="module")
def check_year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CheckYear]:
    """Two years of demo deliveries loaded and the check year built and published."""
    from cityhealth.core.settings import Profile
    from cityhealth.demo.generator import generate
    from cityhealth.expectations.gate import validate_pending
    from cityhealth.ingestion.run import ingest_all
    from cityhealth.warehouse.release import publish

    home = tmp_path_factory.mktemp("check_year") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(home))
        patch.setenv("CITYHEALTH_PROFILE", "demo")
        settings_module.settings.cache_clear()
        cfg = settings_module.settings()
        cfg.ensure_dirs()
        profile = dataclasses.replace(Profile.load("demo"), years=(YEAR - 1, YEAR),
                                      survey_respondents_per_county=30)
        generate(cfg.landing_dir, profile)
        ingest_all(str(YEAR - 1))
        validate_pending(period=str(YEAR - 1))
        assert run_check_year(str(YEAR)) == {}
        release = publish(str(YEAR), run_id="before").path
        yield CheckYear(home, release)
    settings_module.settings.cache_clear()


def drop(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    later = time.time() + 5
    os.utime(path, (later, later))
    return path


def edited(lines: list[str], row: int | None, value: str) -> list[str]:
    """The lines with the last cell of data row ``row`` (every row: None) replaced."""
    out = [lines[0]]
    for n, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if row is None or n == row:
            cells[-1] = value
        out.append(",".join(cells))
    return out


def test_bad_deliveries_beside_good_ones_leave_the_published_figures_unchanged(
        check_year: CheckYear) -> None:
    from cityhealth.ingestion import deliveries
    from cityhealth.ingestion.registry import source
    from cityhealth.warehouse.connection import writer
    from cityhealth.warehouse.release import publish

    before = figures(check_year.release)
    landing = check_year.home / "landing"
    wr = landing / "dept_wr" / str(YEAR)
    [original] = list(wr.iterdir())
    lines = original.read_text(encoding="utf-8-sig").splitlines()
    ee = landing / "dept_ee" / str(YEAR)
    [ee_original] = list(ee.iterdir())
    ee_lines = ee_original.read_bytes().decode("gb18030").splitlines()

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(check_year.home))
        patch.setenv("CITYHEALTH_PROFILE", "demo")
        settings_module.settings.cache_clear()
        # good: the same figures saved again (LF line ends, no BOM): a new delivery
        resaved = drop(wr, "水利局_重新导出.csv", ("\n".join(lines) + "\n").encode())
        # good: the same figures again, whose first load was killed before its commit
        # (what the kill leaves: the ledger row 'received', no rows)
        retried = drop(ee, "生态环境局_重报.csv",
                       ("\r\n".join(ee_lines) + "\r\n").encode("utf-8"))
        delivery = deliveries.delivery_of(source("dept_ee"), str(YEAR), retried)
        with writer() as con:
            deliveries.record_received(con, delivery, deliveries.archive(delivery))
        # bad: a value of implausible magnitude (the quality gate)
        drop(wr, "水利局_数量级.csv",
             ("\r\n".join(edited(lines, 2, "990000")) + "\r\n").encode("utf-8-sig"))
        # bad: a correction emptying a whole column delivered before (the policy)
        drop(wr, "水利局_更正.csv",
             ("\r\n".join(edited(lines, None, "—")) + "\r\n").encode("utf-8-sig"))
        # bad: text in a number column (ingestion)
        drop(ee, "生态环境局_文字.csv",
             ("\r\n".join(edited(ee_lines, 3, "暂无数据")) + "\r\n").encode("gb18030"))

        failed = run_check_year(str(YEAR))
        after = publish(str(YEAR), run_id="after")
        settings_module.settings.cache_clear()

    assert sorted(failed) == ["dept_ee", "dept_wr"]
    # dept_wr's deliveries all loaded: its validate step fails, naming the two bad ones
    assert failed["dept_wr"].startswith("2 of 3 batches failed validation and were "
                                        "quarantined:\n- dept_wr: 水利局_数量级.csv: ")
    assert "\n- dept_wr: 水利局_更正.csv: 1 of 6 checks failed" in failed["dept_wr"]
    # dept_ee's ingest step fails on the bad file, after the good one was promoted
    assert f"beside them: {retried.name}" in failed["dept_ee"]
    assert "生态环境局_文字.csv" in failed["dept_ee"]
    assert f"- retrying {retried.name}: an earlier load of it was interrupted" in failed["dept_ee"]
    statuses = dict(check_year.query(
        "select original_name, status from raw.load_batches where period = ?", [str(YEAR)]))
    assert {name: statuses[name] for name in (
        original.name, resaved.name, ee_original.name, retried.name, "水利局_数量级.csv",
        "水利局_更正.csv", "生态环境局_文字.csv")} == {
        original.name: "superseded", resaved.name: "promoted",
        ee_original.name: "superseded", retried.name: "promoted",
        "水利局_数量级.csv": "quarantined", "水利局_更正.csv": "quarantined",
        "生态环境局_文字.csv": "quarantined"}
    [(error,)] = check_year.query(
        "select error from raw.load_batches where original_name = '水利局_更正.csv'")
    assert "更正版不得把已报送的数值改为空值" in error and f"({len(lines) - 1} rows)" in error
    folders = list((check_year.home / "quarantine").iterdir())
    assert len(folders) == 3
    assert all((folder / "error.txt").is_file() for folder in folders)

    # Every figure of the check is unchanged. The annual appraisal alone moves, in its
    # share of deliveries that passed validation (by design: it rates the deliveries) and
    # what is computed from it; its other figures are unchanged too.
    changed = {t for t, digest in figures(after.path).items() if before.get(t) != digest}
    assert changed <= {"pub_annual_appraisal"}
    assert appraisal_without_validation(after.path) == appraisal_without_validation(
        check_year.release)
    [(before_pct,)] = appraisal_pass(check_year.release)
    [(after_pct,)] = appraisal_pass(after.path)
    assert after_pct < before_pct


# the appraisal's columns that follow the share of deliveries passing validation
FROM_VALIDATION = ("validation_pass_pct", "check_quality_score", "appraisal_score",
                   "rank_in_level")


def appraisal_without_validation(release: Path) -> list[tuple]:
    con = duckdb.connect(str(release / "published.duckdb"), read_only=True)
    try:
        return con.execute(f"select * exclude ({', '.join(FROM_VALIDATION)}) "
                           "from pub_annual_appraisal order by all").fetchall()
    finally:
        con.close()


def appraisal_pass(release: Path) -> list[tuple]:
    con = duckdb.connect(str(release / "published.duckdb"), read_only=True)
    try:
        return con.execute("select distinct validation_pass_pct from pub_annual_appraisal "
                           f"where period_year = {YEAR}").fetchall()
    finally:
        con.close()
