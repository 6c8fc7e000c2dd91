"""Parser messages that say what is wrong where: the delimiter named, undecodable bytes
located by line and column, an oversized cell named by row and heading, and invisible
characters shown escaped. Each bad file is dropped beside the good delivery, which loads.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cityhealth.core.reference import survey_questions
from cityhealth.core.settings import settings
from cityhealth.ingestion.errors import shown
from cityhealth.ingestion.run import ingest_source
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
    assert query("select status from raw.load_batches where batch_id = ?",
                 [bad.batch_id]) == [("quarantined",)]
    return bad.error


def lines_of(landing: Path, source_id: str, encoding: str = "utf-8") -> list[str]:
    return delivered(landing, source_id).read_bytes().decode(encoding).lstrip(
        "\ufeff").splitlines()


def as_csv(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


# --- the delimiter ---------------------------------------------------------------------

@pytest.mark.parametrize(("delimiter", "named"), [
    (";", "';' (semicolon)"), ("\t", "'\\t' (tab)"), ("|", "'|' (vertical bar)")])
def test_a_file_separated_by_another_delimiter_says_which(landed: Path, delimiter: str,
                                                          named: str) -> None:
    lines = [line.replace(",", delimiter) for line in lines_of(landed, "dept_wr")]
    drop(landed, "dept_wr", "水利局_导出.csv", as_csv(lines))
    assert quarantined(landed, "dept_wr", "水利局_导出.csv") == (
        "dept_wr: 水利局_导出.csv: "
        "文件不是用逗号分隔的，请另存为“CSV(逗号分隔)”后报送 "
        f"(the file is separated by {named}, "
        "expected ',' (comma): save it as CSV (comma delimited))")


def test_a_semicolon_separated_gbk_file_with_decimal_commas(landed: Path) -> None:
    """The European 'CSV' of a spreadsheet set to another locale: ';' and '12,5'."""
    lines = lines_of(landed, "dept_ee", "gb18030")
    lines = [line.replace(",", ";") for line in lines]
    drop(landed, "dept_ee", "生态环境_分号.csv", as_csv(lines, "gbk"))
    assert quarantined(landed, "dept_ee", "生态环境_分号.csv") == (
        "dept_ee: 生态环境_分号.csv: "
        "文件不是用逗号分隔的，请另存为“CSV(逗号分隔)”后报送 "
        "(the file is separated by ';' "
        "(semicolon), expected ',' (comma): save it as CSV (comma delimited))")


def test_a_semicolon_separated_survey_export(landed: Path) -> None:
    lines = [line.replace(",", ";") for line in lines_of(landed, "survey", "gb18030")]
    drop(landed, "survey", "问卷_分号.csv", as_csv(lines, "gb18030"))
    assert quarantined(landed, "survey", "问卷_分号.csv") == (
        "survey: 问卷_分号.csv: "
        "文件不是用逗号分隔的，请另存为“CSV(逗号分隔)”后报送 "
        "(the file is separated by ';' "
        "(semicolon), expected ',' (comma): save it as CSV (comma delimited))")


# --- undecodable bytes -----------------------------------------------------------------

def test_a_bad_byte_in_a_gbk_file_is_located_by_line_and_column(landed: Path) -> None:
    data = bytearray(as_csv(lines_of(landed, "dept_ee", "gb18030"), "gbk"))
    line_starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]
    # after '3601xx,' and the county name (2-4 Chinese characters) of line 6: a stray 0xFF
    start = line_starts[5]
    name_end = data.index(b",", data.index(b",", start) + 1)
    column = len(bytes(data[start:name_end]).decode("gbk")) + 1
    data[name_end:name_end] = b"\xff"
    drop(landed, "dept_ee", "生态环境_坏字节.csv", bytes(data))
    assert quarantined(landed, "dept_ee", "生态环境_坏字节.csv") == (
        "dept_ee: 生态环境_坏字节.csv: "
        "文件中有无法识别的字符编码，请另存为UTF-8或GBK编码的CSV后报送 "
        f"(neither UTF-8 nor GBK/GB18030 "
        f"text: undecodable bytes at line 6, column {column} (byte {name_end}: 0xFF) in "
        "GBK/GB18030 text; save the file as CSV in UTF-8 or GBK)")


def test_a_bad_byte_in_a_utf8_file_is_located_in_utf8_not_at_offset_0(landed: Path) -> None:
    lines = lines_of(landed, "dept_wr")
    cells = lines[8].split(",")
    column = len(cells[0]) + 1 + len(cells[1]) + 1  # after the county's name
    before = "\r\n".join(lines[:8]).encode() + b"\r\n" + ",".join(cells[:2]).encode()
    # a character cut in half (the lead byte 0xE5 of a three-byte character, then ',')
    data = before + b"\xe5," + ",".join(cells[2:]).encode() + b"\r\n" + \
        "\r\n".join(lines[9:]).encode() + b"\r\n"
    drop(landed, "dept_wr", "水利局_坏字节.csv", data)
    assert quarantined(landed, "dept_wr", "水利局_坏字节.csv") == (
        "dept_wr: 水利局_坏字节.csv: "
        "文件中有无法识别的字符编码，请另存为UTF-8或GBK编码的CSV后报送 "
        f"(neither UTF-8 nor GBK/GB18030 "
        f"text: undecodable bytes at line 9, column {column} (byte {len(before)}: 0xE5) in "
        "UTF-8 text; save the file as CSV in UTF-8 or GBK)")


def test_a_utf16_file_is_named(landed: Path) -> None:
    data = "\r\n".join(lines_of(landed, "dept_wr")).encode("utf-16")
    drop(landed, "dept_wr", "水利局_unicode.csv", data)
    assert quarantined(landed, "dept_wr", "水利局_unicode.csv") == (
        "dept_wr: 水利局_unicode.csv: "
        "文件中有无法识别的字符编码，请另存为UTF-8或GBK编码的CSV后报送 "
        "(neither UTF-8 nor GBK/GB18030 "
        "text but UTF-16 (Excel's \"Unicode text\"); save the file as CSV in UTF-8 or GBK)")


def test_a_bad_byte_in_a_gbk_survey_export_is_located(landed: Path) -> None:
    data = bytearray(delivered(landed, "survey").read_bytes())
    line_starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]
    start = line_starts[11]
    at = data.index(b",", start) + 1  # the first byte of the second cell of line 12
    data[at:at] = b"\x81\x20"  # a lead byte followed by a space: not GB18030
    drop(landed, "survey", "问卷_坏字节.csv", bytes(data))
    column = len(bytes(data[start:at]).decode("gb18030")) + 1
    assert quarantined(landed, "survey", "问卷_坏字节.csv") == (
        "survey: 问卷_坏字节.csv: "
        "文件中有无法识别的字符编码，请另存为UTF-8或GBK编码的CSV后报送 "
        f"(not a readable CSV export "
        f"(gb18030): undecodable bytes at line 12, column {column} (byte {at}: 0x81) in "
        "GBK/GB18030 text)")


def test_a_bad_byte_in_a_utf8_survey_export_is_located(landed: Path) -> None:
    lines = lines_of(landed, "survey", "gb18030")
    data = bytearray(as_csv(lines, "utf-8"))
    line_starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]
    at = line_starts[20] + 3
    data[at:at] = b"\xff"
    drop(landed, "survey", "问卷_utf8.csv", bytes(data))
    assert quarantined(landed, "survey", "问卷_utf8.csv") == (
        "survey: 问卷_utf8.csv: "
        "文件中有无法识别的字符编码，请另存为UTF-8或GBK编码的CSV后报送 "
        f"(not a readable CSV export (utf-8): "
        f"undecodable bytes at line 21, column 4 (byte {at}: 0xFF) in UTF-8 text)")


# --- cell size -------------------------------------------------------------------------

def test_a_megabyte_cell_is_named_by_row_and_heading(landed: Path) -> None:
    lines = lines_of(landed, "dept_wr")
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[3] = "9" * (1 << 20)
    lines[3] = ",".join(cells)
    drop(landed, "dept_wr", "水利局_大单元格.csv", as_csv(lines))
    assert quarantined(landed, "dept_wr", "水利局_大单元格.csv") == (
        f"dept_wr: 水利局_大单元格.csv: data row 3 (line 4), column {header[3]}: "
        "单元格内容过长，请检查是否有未闭合的引号或误粘贴的内容 (the cell holds 1,048,576 "
        "characters, more than a spreadsheet cell holds (32,767))")


def test_a_quote_never_closed_is_suspected(landed: Path) -> None:
    lines = lines_of(landed, "dept_wr")
    header = lines[0].split(",")
    lines = lines[:1] + [line + " " * 400 for line in lines[1:]]  # a file padded with spaces
    cells = lines[2].split(",")
    cells[1] = '"' + cells[1]  # the quote swallows every line after it
    lines[2] = ",".join(cells)
    drop(landed, "dept_wr", "水利局_引号.csv", as_csv(lines))
    error = quarantined(landed, "dept_wr", "水利局_引号.csv")
    assert error.startswith(f"dept_wr: 水利局_引号.csv: data row 2 (line 3), column {header[1]}: "
                            "单元格内容过长，请检查是否有未闭合的引号或误粘贴的内容 (the cell "
                            "holds ")
    assert error.endswith(" characters, more than a spreadsheet cell holds (32,767) (a quote "
                          "opened in this cell and never closed?))")


def test_an_oversized_survey_line_is_named_not_a_field_limit(landed: Path) -> None:
    lines = lines_of(landed, "survey", "gb18030")
    cells = lines[7].split(",")
    cells[3] = "张" * 1_100_000  # a name of 3.3 MB in UTF-8
    lines[7] = ",".join(cells)
    drop(landed, "survey", "问卷_大单元格.csv", as_csv(lines, "utf-8"))
    assert quarantined(landed, "survey", "问卷_大单元格.csv") == (
        "survey: 问卷_大单元格.csv: line 8: 该行过长，请检查是否有未闭合的引号或超长内容后"
        "重新导出 (the row is longer than 2,097,152 bytes: a cell of more than 32,767 "
        "characters, or a quote opened and never closed?)")


# --- invisible characters --------------------------------------------------------------

def test_a_zero_width_space_after_an_area_code_is_shown(landed: Path) -> None:
    lines = lines_of(landed, "dept_wr")
    cells = lines[2].split(",")
    code = cells[0]
    cells[0] = code + "\u200b"
    lines[2] = ",".join(cells)
    drop(landed, "dept_wr", "水利局_零宽.csv", as_csv(lines))
    assert quarantined(landed, "dept_wr", "水利局_零宽.csv") == (
        f"dept_wr: 水利局_零宽.csv: data row 2 (line 3), column 行政区划代码: "
        "行政区划代码须为六位数字，请按GB/T 2260填写，不要加空格或其他字符 "
        f"('{code}<U+200B>' is not a six-digit GB/T 2260 area code)")


def test_an_invisible_character_in_a_heading_is_shown(landed: Path) -> None:
    lines = lines_of(landed, "dept_ee", "gb18030")
    header = lines[0].split(",")
    header[3] = header[3][:2] + "\u200c" + header[3][2:]  # a zero-width non-joiner
    lines[0] = ",".join(header)
    drop(landed, "dept_ee", "生态环境_零宽.csv", as_csv(lines, "gb18030"))
    shown_heading = header[3][:2] + "<U+200C>" + header[3][3:]
    assert quarantined(landed, "dept_ee", "生态环境_零宽.csv") == (
        f"dept_ee: 生态环境_零宽.csv: column {shown_heading}: "
        "表头不是指标目录中的变量，请按“变量名称(单位)”填写报送模板的表头 (not a catalogue "
        "variable (header must be <ref_variables.variable_name_zh>(<unit>)))")


def test_a_no_break_space_inside_a_figure_is_shown(landed: Path) -> None:
    lines = lines_of(landed, "dept_wr")
    header = lines[0].split(",")
    cells = lines[4].split(",")
    cells[3] = "12\u00a0345"
    lines[4] = ",".join(cells)
    drop(landed, "dept_wr", "水利局_空格.csv", as_csv(lines))
    assert quarantined(landed, "dept_wr", "水利局_空格.csv") == (
        f"dept_wr: 水利局_空格.csv: data row 4 (line 5), column {header[3]}: "
        "数值须为数字，请只填写数字 ('12<U+00A0>345' is not a number)")


def test_a_zero_width_character_in_a_survey_answer_is_shown(landed: Path) -> None:
    lines = lines_of(landed, "survey", "gb18030")
    header = lines[0].split(",")
    questions = [q["question_zh"] for q in survey_questions("JX-2020")]
    column = header.index(questions[0])
    cells = lines[4].split(",")
    cells[column] = "满意\ufeff"  # a BOM inside the answer (copied from another file)
    lines[4] = ",".join(cells)
    drop(landed, "survey", "问卷_零宽.csv", as_csv(lines, "gb18030"))
    assert quarantined(landed, "survey", "问卷_零宽.csv") == (
        f"survey: 问卷_零宽.csv: data row 4, column {questions[0]}: "
        "答案不是问卷的选项，请按问卷选项填写 ('满意<U+FEFF>' is not an answer of "
        "ref_survey_answers.csv)")


@pytest.mark.parametrize(("text", "expected"), [
    ("360102\u200b", "360102<U+200B>"),
    ("\u00a0360102", "<U+00A0>360102"),
    (" 360102 ", "<U+0020>360102<U+0020>"),
    ("东湖区\t", "东湖区<U+0009>"),
    ("公园 绿地", "公园 绿地"),
    ("x" * 100, "x" * 60 + "… (100 characters)"),
])
def test_shown(text: str, expected: str) -> None:
    assert shown(text) == expected
