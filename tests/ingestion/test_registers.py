"""The supervision registers: task progress and the project library, good and bad."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cityhealth.core.reference import seed_rows
from cityhealth.demo.generator.registers import PROJECTS_PER_COUNTY
from cityhealth.expectations.gate import validate_pending
from cityhealth.ingestion.run import ingest_source
from tests.geography import CITIES, COUNTIES, FIRST_COUNTY
from tests.reads import query

PERIOD = "2025-07"


def test_both_registers_load_and_pass_validation(landed: Path) -> None:
    for source_id in ("task_register", "project_register"):
        [outcome] = ingest_source(source_id, PERIOD)
        assert outcome.status == "loaded", outcome.error
        [result] = validate_pending(source_id, PERIOD)
        assert result.success, result.summary()
    [(tasks, cities, statuses)] = query(
        "select count(distinct task_code), count(distinct city_code), "
        "count(distinct status) from raw.task_progress")
    assert (tasks, cities) == (len(seed_rows("ref_plan_tasks")), len(CITIES)) and statuses >= 2
    [(projects, counties, linked)] = query(
        "select count(*), count(distinct area_code), count_if(len(indicator_codes) > 0) "
        "from raw.project_progress")
    assert counties == len(COUNTIES)
    assert projects == linked == PROJECTS_PER_COUNTY * len(COUNTIES)
    assert query("select count(*) from raw.project_progress where planned_end < planned_start"
                 ) == [(0,)]


def project_lines(landing: Path) -> list[str]:
    [path] = list((landing / "project_register" / PERIOD).iterdir())
    return path.read_text(encoding="utf-8-sig").splitlines()


def with_cell(lines: list[str], row: int, column: int, value: str) -> list[str]:
    cells = lines[row].split(",")
    cells[column] = value
    return [*lines[:row], ",".join(cells), *lines[row + 1:]]


def drop_correction(landed: Path, change) -> Path:
    bad = landed / "project_register" / PERIOD / "项目库_更正.csv"
    bad.write_text("\r\n".join(change(project_lines(landed))) + "\r\n", encoding="utf-8-sig")
    later = time.time() + 5
    os.utime(bad, (later, later))
    return bad


@pytest.mark.parametrize(("change", "expected"), [
    (lambda ls: with_cell(ls, 2, 4, "修路"),
     ["data row 2", "column 项目类型",
      ": 填写的内容不在项目类型目录中，请按项目类型目录填写 ('修路' is not a project type"]),
    (lambda ls: with_cell(ls, 4, 5, "EL03 XX01"),
     ["data row 4", "column 针对问题指标",
      ": 指标代码不在指标目录中，请核对指标代码 (unknown indicator code(s) XX01"]),
    (lambda ls: with_cell(ls, 5, 10, "2025-06"),
     ["data row 5", "column 报告月份", ": 报送期与本次报送期2025-07不符，请核对月份，或按对应期次"
      "报送 (2025-06 is not the delivery period 2025-07)"]),
    (lambda ls: ls + [ls[1]], [f"data row {PROJECTS_PER_COUNTY * len(COUNTIES) + 1}",
                               "同一记录出现两行，请删除重复行或合并为一行 (duplicate row for "
                               f"GX{FIRST_COUNTY['area_code']}01"]),
    (lambda ls: [ls[0].replace("项目状态", "状态"), *ls[1:]],
     ["缺少必填列“项目状态”，请使用报送模板的表头 (missing column 项目状态)"]),
])
def test_bad_project_register_is_quarantined(landed: Path, change, expected) -> None:
    bad = drop_correction(landed, change)
    outcomes = {o.file: o for o in ingest_source("project_register", PERIOD)}
    assert outcomes[bad.name].status == "quarantined"
    for text in expected:
        assert text in outcomes[bad.name].error, outcomes[bad.name].error
    assert sum(o.status == "loaded" for o in outcomes.values()) == 1


def test_progress_beyond_100_percent_is_quarantined_by_the_gate(landed: Path) -> None:
    """A percentage out of range is a plausibility rule: ingestion loads the number, the
    quality gate quarantines the batch naming the file, row, heading and rule."""
    bad = drop_correction(landed, lambda ls: with_cell(ls, 3, 12, "130"))
    outcomes = {o.file: o for o in ingest_source("project_register", PERIOD)}
    assert outcomes[bad.name].status == "loaded", outcomes[bad.name].error
    results = {r.batch_id: r for r in validate_pending("project_register", PERIOD)}
    batch_id = outcomes[bad.name].batch_id
    assert not results[batch_id].success
    [(status, error)] = query(f"select status, error from raw.load_batches "
                              f"where batch_id = '{batch_id}'")
    assert status == "quarantined"
    for text in (f"project_register: {bad.name}: ", f"(period {PERIOD}, batch {batch_id})",
                 "形象进度须在0到100之间(百分数，不带%号)，请更正 (progress within 0..100)",
                 "data row 3, column 形象进度(%): 130 ("):
        assert text in error, error
