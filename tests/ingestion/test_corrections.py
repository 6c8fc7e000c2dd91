"""Corrections never erase values silently, and bad deliveries dropped beside good ones
never move a published figure of the check year.

A correction (a newer delivery of the same source and period) that would turn values
already delivered into missing ones is quarantined by the quality gate, its error listing
every value it would erase; the batch in force stays.

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
from cityhealth.core.periods import Period
from tests.geography import FIRST_CITY
from tests.published_figures import figures
from tests.reads import query

YEAR = 2025


@dataclasses.dataclass
class CheckYear:
    home: Path
    release: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        return query(sql, params, warehouse=self.home / "warehouse" / "cityhealth.duckdb")


def run_check_year(period: str) -> dict[str, str]:
    """What the annual DAG runs, step by step: each source's ingest (a failure is the
    task's, the run goes on) and validation, dbt step by step, publish. Returns the
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
    for step in pipeline.DBT_STEPS:
        pipeline.build_step(step, period)
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


@pytest.mark.slow
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
        delivery, archived = deliveries.receive(source("dept_ee"), str(YEAR), retried)
        with writer() as con:
            deliveries.record_received(con, delivery, archived)
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


@pytest.mark.slow
def test_every_report_survives_whole_indicators_missing(check_year: CheckYear,
                                                        tmp_path: Path) -> None:
    """Values missing for every county (as a correction that erased them would have left
    them): the marts are built, the release published and every report written, saying
    what it cannot compute. Runs last: it blanks values in the module's warehouse."""
    from cityhealth.orchestration import pipeline
    from cityhealth.reports import writer
    from cityhealth.warehouse import dbt_state
    from cityhealth.warehouse.connection import writer as warehouse_writer
    from cityhealth.warehouse.release import publish

    blanked = ("RECLAIMED_WATER_USED", "CULTURAL_BUILDING_AREA", "PM25_CONC")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(check_year.home))
        patch.setenv("CITYHEALTH_PROFILE", "demo")
        settings_module.settings.cache_clear()
        with warehouse_writer() as con:
            con.execute("update raw.department_values set value = null where period_year = ? "
                        "and variable_code in (select unnest(?::varchar[]))",
                        [YEAR, list(blanked)])
            con.execute("update raw.third_party_values set value = null "
                        "where period_year = ? and indicator_code = 'EL10'", [YEAR])
            # raw changed by hand, not by a delivery: the record that the warehouse is
            # what a build makes does not see it (cityhealth.warehouse.dbt_state)
            dbt_state.forget(con, dbt_state.WHOLE)
        for step in pipeline.DBT_STEPS:
            pipeline.build_step(step, str(YEAR))
        release = publish(str(YEAR), run_id="thin").path
        plan = Period.plan_of(YEAR).label
        written = {}
        for kind, period in (("annual", str(YEAR)), ("five_year", plan),
                             ("monthly", f"{YEAR}-07"), ("quarterly", f"{YEAR}-Q3")):
            written[kind] = writer(kind)(period, release, tmp_path / kind)
        settings_module.settings.cache_clear()

    con = duckdb.connect(str(release / "published.duckdb"), read_only=True)
    try:
        [(values,)] = con.execute("select count(value) from pub_indicator_value "
                                  "where period_year = ? and indicator_code in "
                                  "('EL10', 'TC04', 'EL06')", [YEAR]).fetchall()
    finally:
        con.close()
    assert values == 0  # the indicators are missing everywhere
    pages = (tmp_path / "annual").glob(f"城市体检报告_{FIRST_CITY['area_code']}_*.html")
    city = next(pages).read_text(
        encoding="utf-8")
    assert "数据缺失说明" in city and "无法判断是否达标" in city
    for kind, report_set in written.items():
        assert report_set.index.is_file(), kind


# Key columns stay; every other column of a missing indicator's rows becomes NULL.
KEYS = {"area_code", "area_level", "area_name_zh", "city_code", "city_name_zh",
        "dimension_code", "indicator_code", "indicator_name_zh", "period", "period_year",
        "project_id", "sort_order", "task_code"}
MISSING_INDICATORS = ("EL05", "EL06", "EL10", "TC04", "SR01", "TO07")  # monthly to annual


def _blank_indicators(release: Path) -> list[str]:
    """SQL that empties every figure of the missing indicators in every published table."""
    con = duckdb.connect(str(release / "published.duckdb"), read_only=True)
    try:
        columns = con.execute("select table_name, column_name from information_schema.columns "
                              "order by table_name, ordinal_position").fetchall()
    finally:
        con.close()
    by_table: dict[str, list[str]] = {}
    for table, column in columns:
        by_table.setdefault(table, []).append(column)
    codes = ", ".join(f"'{c}'" for c in MISSING_INDICATORS)
    return [f'update "{table}" set '
            + ", ".join(f'"{c}" = null' for c in cols if c not in KEYS)
            + f" where indicator_code in ({codes})"
            for table, cols in by_table.items() if "indicator_code" in cols]


@pytest.mark.slow
def test_every_report_of_the_demo_survives_indicators_missing_in_every_table(
        demo_platform, tmp_path: Path) -> None:
    """The demo's release (every month and quarter of the check year) with whole
    indicators missing in every published table: every kind of report is written."""
    from cityhealth.reports import writer
    from tests.reports.thin import thin_release

    source = demo_platform.releases[str(demo_platform.check_year)]
    release = thin_release(source, tmp_path / "release", _blank_indicators(source),
                           str(demo_platform.check_year))
    periods = {"annual": str(demo_platform.check_year), "monthly": demo_platform.month,
               "quarterly": demo_platform.quarter, "five_year": demo_platform.plan_label}
    with demo_platform.active():
        written = {kind: writer(kind)(period, release, tmp_path / kind)
                   for kind, period in periods.items()}
    for kind, report_set in written.items():
        assert report_set.index.is_file() and report_set.files, kind
    pages = (tmp_path / "annual").glob(f"城市体检报告_{FIRST_CITY['area_code']}_*.html")
    city = next(pages).read_text(
        encoding="utf-8")
    assert "数据缺失说明" in city and "无法判断是否达标" in city


def test_a_correction_that_empties_cells_is_quarantined_listing_what_would_disappear(
        landed: Path) -> None:
    from cityhealth.core.settings import settings
    from cityhealth.expectations.gate import validate_pending
    from cityhealth.ingestion.run import ingest_source

    folder = landed / "dept_wr" / str(YEAR)
    [good] = list(folder.iterdir())
    lines = good.read_text(encoding="utf-8-sig").splitlines()
    ingest_source("dept_wr", str(YEAR))
    [first] = validate_pending("dept_wr", str(YEAR))
    assert first.success
    # a correction: one value changed (allowed), two emptied, one county's row left out
    changed = edited(edited(edited(lines, 1, "1.5"), 3, "—"), 5, "")
    gone = changed.pop(8)
    drop(folder, "水利局_更正.csv", ("\r\n".join(changed) + "\r\n").encode("utf-8-sig"))
    [outcome] = [o for o in ingest_source("dept_wr", str(YEAR)) if o.status == "loaded"]
    [result] = validate_pending("dept_wr", str(YEAR))
    assert not result.success

    def before(row: int) -> str:
        return lines[row].split(",")[-1] + "万吨"

    heading = "再生水利用量(万吨)"
    code = "RECLAIMED_WATER_USED"
    listed = sorted([
        (lines[3].split(",")[0], f"data row 3, column {heading}: 空 empty, 已报送 delivered "
                                 f"before {before(3)} ({lines[3].split(',')[0]}/{code})"),
        (lines[5].split(",")[0], f"data row 5, column {heading}: 空 empty, 已报送 delivered "
                                 f"before {before(5)} ({lines[5].split(',')[0]}/{code})"),
        (gone.split(",")[0], f"column {heading}, 整行缺少 row absent: 空 empty, 已报送 "
                             f"delivered before {before(8)} ({gone.split(',')[0]}/{code})"),
    ])
    [erased] = [o for o in result.errors if o.expectation_type ==
                "correction_keeps_delivered_values"]
    assert erased.examples == [text for _, text in listed]
    assert erased.describe() == (
        "更正版不得把已报送的数值改为空值：请在这些单元格填回数值；确需撤回某个数值，请书面说明，"
        "由数据管理员处理 (a correction must not turn values already delivered into missing "
        "ones) (3 rows): " + "; ".join(text for _, text in listed))
    statuses = dict(query("select batch_id, status from raw.load_batches "
                          "where source_id = 'dept_wr'"))
    assert statuses == {first.batch_id: "promoted", outcome.batch_id: "quarantined"}
    error_txt = (settings().quarantine_dir / outcome.batch_id.replace(":", "_") / "error.txt")
    assert all(text in error_txt.read_text(encoding="utf-8") for _, text in listed)


def test_a_register_correction_that_leaves_a_project_out_is_quarantined(landed: Path) -> None:
    """An empty progress cell is refused by ingestion already; a project's row left out of
    a correction of the month is refused by the gate, naming the project."""
    from cityhealth.expectations.gate import validate_pending
    from cityhealth.ingestion.run import ingest_source
    from tests.ingestion.test_registers import PERIOD, drop_correction

    ingest_source("project_register", PERIOD)
    assert validate_pending("project_register", PERIOD)[0].success
    removed: list[str] = []

    def leave_out_data_row_3(lines: list[str]) -> list[str]:
        removed.append(lines[3])
        return [*lines[:3], *lines[4:]]

    bad = drop_correction(landed, leave_out_data_row_3)
    [outcome] = [o for o in ingest_source("project_register", PERIOD) if o.file == bad.name]
    assert outcome.status == "loaded", outcome.error
    [result] = validate_pending("project_register", PERIOD)
    [erased] = result.errors
    project, area = removed[0].split(",")[0], removed[0].split(",")[2]
    assert erased.examples[0].startswith(
        "column 形象进度(%), 整行缺少 row absent: 空 empty, 已报送 delivered before ")
    assert erased.examples[0].endswith(f" ({project}/{area})")
    assert erased.unexpected_count == 1
