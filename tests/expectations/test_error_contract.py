"""The error contract at every step: whichever step rejects a delivery (ingestion or the
quality gate), its error names the source, the file, the row and the column heading as
delivered, states the rule in Chinese words a department clerk can act on, and the
quarantine folder holds the file as delivered and ``error.txt``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cityhealth.core.settings import settings
from cityhealth.expectations.gate import validate_pending
from cityhealth.expectations.suites import message, rules
from cityhealth.ingestion.run import ingest_source
from tests.ingestion import conftest as ingestion
from tests.reads import query

# the demo deliveries of the ingestion tests (tests/ingestion/conftest.py)
small_profile, demo_landing, landed = (ingestion.small_profile, ingestion.demo_landing,
                                       ingestion.landed)

YEAR = "2025"
HEADING = "再生水利用量(万吨)"  # dept_wr's one variable, RECLAIMED_WATER_USED, 0..100000 万吨


def wr_lines(landing: Path) -> list[str]:
    [delivered] = (landing / "dept_wr" / YEAR).iterdir()
    return delivered.read_text(encoding="utf-8-sig").splitlines()


def drop_wr(landing: Path, name: str, lines: list[str]) -> Path:
    path = landing / "dept_wr" / YEAR / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    later = time.time() + 5
    os.utime(path, (later, later))
    return path


def with_value(lines: list[str], row: int, value: str) -> list[str]:
    """The delivery with data row ``row``'s last cell replaced."""
    lines = list(lines)
    cells = lines[row].split(",")
    cells[-1] = value
    lines[row] = ",".join(cells)
    return lines


def county(lines: list[str], row: int) -> str:
    return lines[row].split(",")[0]


def status_and_error(batch_id: str) -> tuple[str, str]:
    [found] = query("select status, error from raw.load_batches where batch_id = ?",
                    [batch_id])
    return found


def quarantine_folder(batch_id: str) -> Path:
    return settings().quarantine_dir / batch_id.replace(":", "_")


def test_a_gate_rejection_names_file_row_heading_and_the_rule_in_words(landed: Path) -> None:
    lines = wr_lines(landed)
    assert lines[0].split(",")[-1] == HEADING
    bad = with_value(with_value(lines, 3, "-12.5"), 7, "2500000")
    path = drop_wr(landed, "水利局_更正.csv", bad)
    outcomes = {o.file: o for o in ingest_source("dept_wr", YEAR)}
    assert {o.status for o in outcomes.values()} == {"loaded"}
    validate_pending("dept_wr", YEAR)
    batch_id = outcomes[path.name].batch_id

    status, error = status_and_error(batch_id)
    assert status == "quarantined"
    assert error == (
        f"dept_wr: 水利局_更正.csv: 2 of 6 checks failed (period {YEAR}, batch {batch_id}):\n"
        "- 数值低于该项的最小合理值，请核对数值、正负号及表头中的单位后更正 "
        "(value below the variable's minimum) (1 row): "
        f"data row 3, column {HEADING}: -12.5万吨, 最小合理值 0万吨 "
        f"({county(lines, 3)}/RECLAIMED_WATER_USED)\n"
        "- 数值高于该项的最大合理值，数量级不合理，"
        "请核对数值及表头中的单位(如元与万元、公顷与平方公里)后更正 "
        "(value above the variable's maximum: implausible magnitude) (1 row): "
        f"data row 7, column {HEADING}: 2500000万吨, 最大合理值 100000万吨 "
        f"({county(lines, 7)}/RECLAIMED_WATER_USED)")
    folder = quarantine_folder(batch_id)
    assert (folder / "error.txt").read_text(encoding="utf-8") == error + "\n"
    assert (folder / path.name).read_bytes() == path.read_bytes()  # as delivered, by name
    assert (folder / "validation_report.json").is_file()


def test_every_rule_has_a_sentence_a_clerk_can_act_on() -> None:
    """Each rule's message is Chinese first (what is wrong and what to do), then English,
    with its thresholds filled in."""
    for suite, names in rules()["messages"].items():
        for name in names:
            text = message(suite, name)
            assert "{" not in text, (suite, name, text)
            chinese, _, english = text.partition(" (")
            assert "，" in chinese or "：" in chinese, (suite, name, text)  # rule, then action
            assert all("\u4e00" <= c <= "\u9fff" or not c.isalpha() for c in chinese), text
            assert english.endswith(")") and english[0].isascii(), (suite, name, text)
    assert message("survey", "speeders") == (
        "答题过快(少于120秒)的问卷占比超过5%，请核实样本质量 (too many speeders)")


@pytest.mark.parametrize(("name", "edit", "expected"), [
    # a gate rejection: a county's value of implausible magnitude
    ("数量级.csv", lambda ls: with_value(ls, 2, "990000"),
     "data row 2, column 再生水利用量(万吨): 990000万吨, 最大合理值 100000万吨"),
    # an ingestion rejection: text in a number column
    ("文字.csv", lambda ls: with_value(ls, 4, "暂无数据"),
     "data row 4 (line 5), column 再生水利用量(万吨): 数值须为数字，请只填写数字 "
     "('暂无数据' is not a number)"),
])
def test_every_quarantine_folder_holds_the_file_and_error_txt(
        landed: Path, name: str, edit, expected: str) -> None:
    path = drop_wr(landed, name, edit(wr_lines(landed)))
    outcomes = {o.file: o for o in ingest_source("dept_wr", YEAR)}
    validate_pending("dept_wr", YEAR)
    batch_id = outcomes[name].batch_id
    status, error = status_and_error(batch_id)
    assert status == "quarantined"
    assert error.startswith(f"dept_wr: {name}: ") and expected in error, error
    folder = quarantine_folder(batch_id)
    assert (folder / "error.txt").read_text(encoding="utf-8") == error + "\n"
    assert (folder / name).read_bytes() == path.read_bytes()
