"""Cells that must not silently become missing: formulas saved without their result and
placeholders such as '-', '—', '/' or '无'.

A formula without a cached result (what a workbook written by openpyxl or pandas holds) is
an error naming the file, the sheet, the cell, the row and the column heading; the batch
is quarantined and the good delivery beside it loads. A placeholder is read as missing and
listed: the parsed frame carries each one (row, heading, text) and the load warns.
"""

from __future__ import annotations

import io
import logging
import os
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cityhealth.core.settings import settings
from cityhealth.ingestion import department_file, third_party_file
from cityhealth.ingestion.registry import source
from cityhealth.ingestion.run import ingest_source
from cityhealth.ingestion.tables import Placeholder
from tests.reads import query

YEAR = "2025"


def drop(landing: Path, source_id: str, name: str, data: bytes) -> Path:
    path = landing / source_id / YEAR / name
    path.write_bytes(data)
    later = time.time() + 5
    os.utime(path, (later, later))
    return path


def delivered(landing: Path, source_id: str) -> Path:
    return min((landing / source_id / YEAR).iterdir(), key=lambda p: p.stat().st_mtime)


def quarantined(landing: Path, source_id: str, name: str) -> str:
    """Ingest the source: the good delivery loads, ``name`` is quarantined; its error."""
    outcomes = {o.file: o for o in ingest_source(source_id, YEAR)}
    good = outcomes[delivered(landing, source_id).name]
    assert good.status == "loaded", good.error
    bad = outcomes[name]
    assert bad.status == "quarantined", bad
    folder = settings().quarantine_dir / bad.batch_id.replace(":", "_")
    assert (folder / "error.txt").read_text(encoding="utf-8") == bad.error + "\n"
    assert query(f"select status from raw.load_batches where batch_id = '{bad.batch_id}'") \
        == [("quarantined",)]
    return bad.error


def saved(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_formula_saved_without_its_result_is_an_error_naming_the_cell(landed: Path) -> None:
    workbook = load_workbook(delivered(landed, "dept_nr"))
    sheet = workbook.worksheets[0]
    assert sheet.cell(row=2, column=1).value == "行政区划代码"  # title row, then the header
    heading = sheet.cell(row=2, column=5).value
    sheet["E17"] = "=E15+E16"  # what openpyxl or pandas writes: the formula, no result
    drop(landed, "dept_nr", "自然资源_公式.xlsx", saved(workbook))

    error = quarantined(landed, "dept_nr", "自然资源_公式.xlsx")
    assert error == (
        f"dept_nr: 自然资源_公式.xlsx: sheet {sheet.title}, data row 15 (line 17), column "
        f"{heading}: 公式没有保存计算结果，请用Excel或WPS打开后重新保存，或粘贴为数值 "
        "(cell E17 holds the formula =E15+E16 saved without its result (the file "
        "was written by a program that does not calculate): open it in Excel or WPS and save "
        "it again, or paste the values)")
    # the good delivery's figure for that county is still there
    [(value,)] = query(f"select value from raw.department_values where row_number = 15 and "
                       f"column_label = '{heading}'")
    assert value is not None


def test_every_formula_without_result_is_named_in_every_sheet(landed: Path) -> None:
    workbook = load_workbook(delivered(landed, "third_party"))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[2]]
    column = header.index("测评值") + 1
    letter = sheet.cell(row=3, column=column).column_letter
    sheet.cell(row=3, column=column).value = "=1/0"
    sheet.cell(row=6, column=column).value = f"=SUM({letter}3:{letter}5)"
    drop(landed, "third_party", "测评_公式.xlsx", saved(workbook))

    error = quarantined(landed, "third_party", "测评_公式.xlsx")
    tail = ("saved without its result (the file was written by a program that does not "
            "calculate): open it in Excel or WPS and save it again, or paste the values")
    rule = "公式没有保存计算结果，请用Excel或WPS打开后重新保存，或粘贴为数值"
    assert error == (
        f"third_party: 测评_公式.xlsx: 2 problems: "
        f"sheet {sheet.title}, data row 1 (line 3), column 测评值: {rule} (cell {letter}3 "
        f"holds the formula =1/0 {tail}); "
        f"sheet {sheet.title}, data row 4 (line 6), column 测评值: {rule} (cell {letter}6 "
        f"holds the formula =SUM({letter}3:{letter}5) {tail})")


def test_an_excel_error_value_is_not_a_number(landed: Path) -> None:
    lines = delivered(landed, "dept_wr").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    cells[3] = "#DIV/0!"
    lines[5] = ",".join(cells)
    drop(landed, "dept_wr", "除零.csv", ("\r\n".join(lines) + "\r\n").encode())

    assert quarantined(landed, "dept_wr", "除零.csv") == (
        f"dept_wr: 除零.csv: data row 5 (line 6), column {header[3]}: "
        "单元格是公式错误(如#DIV/0!)，请修正公式或直接填写数值 ('#DIV/0!' is a "
        "spreadsheet error, not a number (the cell's formula failed))")


def test_placeholders_are_read_as_missing_and_listed(landed: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    path = delivered(landed, "dept_wr")
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for line, column, text in ((2, 3, "-"), (5, -1, "—"), (9, 3, "无"), (12, 3, "/")):
        cells = lines[line].split(",")
        cells[column] = text
        lines[line] = ",".join(cells)
    edited = drop(landed, "dept_wr", "水利局_占位符.csv", ("\r\n".join(lines) + "\r\n").encode())

    frame = department_file.parse(source("dept_wr"), YEAR, edited)
    assert frame.attrs["placeholders"] == [
        Placeholder(2, "data row 2 (line 3)", header[3], "-"),
        Placeholder(5, "data row 5 (line 6)", header[-1], "—"),
        Placeholder(9, "data row 9 (line 10)", header[3], "无"),
        Placeholder(12, "data row 12 (line 13)", header[3], "/"),
    ]

    with caplog.at_level(logging.WARNING, logger="cityhealth.ingestion.department_file"):
        outcomes = ingest_source("dept_wr", YEAR)
    assert [o.status for o in outcomes] == ["loaded", "loaded"]
    assert (f"dept_wr: 水利局_占位符.csv: 4 cells read as missing (placeholders): "
            f"data row 2 (line 3), column {header[3]}: '-'; "
            f"data row 5 (line 6), column {header[-1]}: '—'; "
            f"data row 9 (line 10), column {header[3]}: '无'; "
            f"data row 12 (line 13), column {header[3]}: '/'") in caplog.messages
    missing = query(f"select row_number, column_label from raw.department_values where "
                    f"batch_id = '{outcomes[1].batch_id}' and value is null order by 1")
    assert missing == [(2, header[3]), (5, header[-1]), (9, header[3]), (12, header[3])]


def test_placeholders_in_a_workbook_name_their_sheet(landed: Path) -> None:
    workbook = load_workbook(delivered(landed, "third_party"))
    sheet = workbook.worksheets[0]
    column = [c.value for c in sheet[2]].index("测评值") + 1
    sheet.cell(row=4, column=column).value = "－"  # full-width hyphen-minus
    path = drop(landed, "third_party", "测评_占位.xlsx", saved(workbook))

    frame = third_party_file.parse(source("third_party"), YEAR, path)
    assert [str(p) for p in frame.attrs["placeholders"]] == [
        f"sheet {sheet.title}, data row 2 (line 4), column 测评值: '－'"]
    assert frame.loc[frame["row_number"] == 2, "value"].isna().all()


def test_a_text_that_merely_starts_with_a_dash_is_not_a_placeholder(landed: Path) -> None:
    lines = delivered(landed, "dept_wr").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[3] = "- 暂缺"
    lines[3] = ",".join(cells)
    drop(landed, "dept_wr", "暂缺.csv", ("\r\n".join(lines) + "\r\n").encode())

    assert quarantined(landed, "dept_wr", "暂缺.csv") == (
        f"dept_wr: 暂缺.csv: data row 3 (line 4), column {header[3]}: "
        "数值须为数字，请只填写数字 ('- 暂缺' is not a number)")


def test_a_placeholder_where_a_register_figure_must_be_filled_is_an_error(
        landed: Path) -> None:
    folder = landed / "project_register" / "2025-07"
    [path] = list(folder.iterdir())
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    column = header.index("形象进度(%)")
    cells = lines[6].split(",")
    cells[column] = "—"
    lines[6] = ",".join(cells)
    bad = folder / "项目库_占位.csv"
    bad.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    later = time.time() + 5
    os.utime(bad, (later, later))

    outcomes = {o.file: o for o in ingest_source("project_register", "2025-07")}
    assert outcomes[path.name].status == "loaded"
    assert outcomes[bad.name].status == "quarantined"
    assert outcomes[bad.name].error == (
        "project_register: 项目库_占位.csv: data row 6 (line 7), column 形象进度(%): "
        "该单元格须填写数值，请填写数字，不要用“-”“无”等代替 "
        "('—' stands for no figure; the cell must be filled)")


def _workbook_bytes(formula: str | None, validation: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["行政区划代码", "数值"])
    sheet.append(["360102", 1.5])
    sheet.append(["360103", formula or 2])
    if validation:  # a rule with a <formula1> of its own, not a cell's formula
        rule = DataValidation(type="decimal", operator="between", formula1="0", formula2="9")
        sheet.add_data_validation(rule)
        rule.add("B2:B3")
    return saved(workbook)


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def _with_prefixed_formulas(data: bytes) -> bytes:
    """The workbook with its cells' formulas as <x:f>, as some writers put them."""
    import zipfile

    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            content = old.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = content.replace(b"<f>", b'<x:f xmlns:x="http://schemas.'
                                          b'openxmlformats.org/spreadsheetml/2006/main">')
                content = content.replace(b"</f>", b"</x:f>")
            new.writestr(item, content)
    return target.getvalue()


@pytest.mark.parametrize("prefixed", [False, True])
def test_a_formula_is_found_however_the_sheet_writes_it(
        tmp_path: Path, prefixed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from cityhealth.ingestion import tables
    from cityhealth.ingestion.tables import _holds_formulas, read_tables

    data = _workbook_bytes("=B2*2")
    if prefixed:
        data = _with_prefixed_formulas(data)
        assert b"<x:f " in _sheet_xml(data)
    assert _holds_formulas(data)
    for piece in (3, 7):  # the sheet searched in pieces that split every element
        monkeypatch.setattr(tables, "_XML_PIECE", piece)
        assert _holds_formulas(data)
    monkeypatch.undo()
    path = tmp_path / "公式.xlsx"
    path.write_bytes(data)
    tables, problems = read_tables(path, "行政区划代码")
    assert [p.column for p in problems] == ["数值"]
    assert "cell B3 holds the formula =B2*2 saved without its result" in problems[0].text()


def test_a_workbook_without_formulas_is_read_once(tmp_path: Path) -> None:
    """A validation rule's <formula1> is not a cell's formula: the workbook's figures are
    read as they are, without the second read for formulas."""
    from cityhealth.ingestion.tables import _holds_formulas, read_tables

    data = _workbook_bytes(None, validation=True)
    assert b"<formula1>" in _sheet_xml(data)
    assert not _holds_formulas(data)
    path = tmp_path / "数值.xlsx"
    path.write_bytes(data)
    tables, problems = read_tables(path, "行政区划代码")
    assert problems == []
    assert [row.cells for row in tables[0].rows] == [
        {"行政区划代码": "360102", "数值": "1.5"}, {"行政区划代码": "360103", "数值": "2"}]
