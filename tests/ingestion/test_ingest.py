"""Ingestion of the demo deliveries and of every kind of bad delivery departments send.

Each bad file is dropped beside a good delivery: it must end quarantined with an
error naming the source, the file and (where it sits in a cell) the row and column,
its bytes kept in the archive and the quarantine folder, and the good delivery must
still load.
"""

from __future__ import annotations

import hashlib
import hmac as hmac_module
import io
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from cityhealth.core.settings import settings
from cityhealth.expectations.gate import validate_pending
from cityhealth.ingestion.registry import sources
from cityhealth.ingestion.run import ingest_all, ingest_source
from tests.geography import COUNTIES, FIRST_CITY, FIRST_COUNTY, PROVINCE, unknown_county_code
from tests.reads import query

YEAR = "2025"


def batches() -> pd.DataFrame:
    con = duckdb.connect(str(settings().warehouse_path), read_only=True)
    try:
        return con.execute("select * from raw.load_batches order by received_at").df()
    finally:
        con.close()


def drop(landing: Path, source_id: str, name: str, data: bytes) -> Path:
    """Drop a file into a source's landing folder, newer than what is there."""
    path = landing / source_id / YEAR / name
    path.write_bytes(data)
    later = time.time() + 5
    os.utime(path, (later, later))
    return path


def delivered(landing: Path, source_id: str) -> Path:
    """The demo's own delivery (the oldest file in the folder)."""
    return min((landing / source_id / YEAR).iterdir(), key=lambda p: p.stat().st_mtime)


def test_demo_deliveries_load_into_raw_with_metadata(landed: Path) -> None:
    outcomes = ingest_all(YEAR)
    assert {o.status for o in outcomes} == {"loaded"}, [o.error for o in outcomes]
    assert len(outcomes) == len([s for s in sources().values() if s.cadence == "annual"])
    frame = batches()
    assert (frame["status"] == "loaded").all()
    assert frame["sha256"].str.len().eq(64).all()
    assert frame["rows"].gt(0).all()
    assert frame["loaded_at"].notna().all()
    for archive_path, sha in zip(frame["archive_path"], frame["sha256"], strict=True):
        assert Path(archive_path).name.startswith(sha)
        assert hashlib.sha256(Path(archive_path).read_bytes()).hexdigest() == sha
    # one copy per delivery, no copy left half-made
    assert sorted(p.name for p in settings().archive_dir.iterdir()) == sorted(
        Path(path).name for path in frame["archive_path"])
    [(cells, counties)] = query(
        "select count(*), count(distinct area_code) from raw.department_values")
    assert counties == len(COUNTIES) and cells > len(COUNTIES) * 80
    # headers in other units are converted to the catalogue unit: population in 人
    [(population,)] = query("select sum(value) from raw.department_values "
                            "where variable_code = 'POP_RESIDENT'")
    census = float(PROVINCE["population_2020_10k"]) * 10_000
    assert 0.88 * census < population < 1.22 * census


def test_same_bytes_again_is_a_no_op(landed: Path) -> None:
    ingest_source("dept_wr", YEAR)
    copy = delivered(landed, "dept_wr").read_bytes()
    drop(landed, "dept_wr", "水利局_重复报送.csv", copy)
    outcomes = ingest_source("dept_wr", YEAR)
    assert [o.status for o in outcomes] == ["duplicate", "duplicate"]
    assert len(batches()) == 1
    # the bytes are archived once; the copy made while the duplicate was hashed is gone
    assert [p.name for p in settings().archive_dir.iterdir()] == [
        Path(batches()["archive_path"].iloc[0]).name]
    assert query("select count(*) from raw.department_values")[0][0] == len(COUNTIES)


def test_correction_supersedes_and_history_stays(landed: Path) -> None:
    ingest_source("dept_wr", YEAR)
    validate_pending("dept_wr", YEAR)
    original = delivered(landed, "dept_wr")
    lines = original.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[-1] = "999.5"
    lines[1] = ",".join(cells)
    drop(landed, "dept_wr", "水利局_更正.csv", ("\r\n".join(lines) + "\r\n").encode())
    [first, second] = ingest_source("dept_wr", YEAR)
    assert (first.status, second.status) == ("duplicate", "loaded")
    validate_pending("dept_wr", YEAR)
    frame = batches().set_index("batch_id")
    assert frame.loc[first.batch_id, "status"] == "superseded"
    assert frame.loc[second.batch_id, "status"] == "promoted"
    assert frame.loc[second.batch_id, "supersedes_batch_id"] == first.batch_id
    # the earlier delivery's values stay queryable
    assert query("select count(distinct batch_id) from raw.department_values")[0][0] == 2


def test_personal_data_never_lands(landed: Path) -> None:
    export = delivered(landed, "survey")
    people = pd.read_csv(export, dtype=str, encoding="gb18030").head(50)
    ingest_source("survey", YEAR)
    con = duckdb.connect(str(settings().warehouse_path), read_only=True)
    text = con.execute("select string_agg(cast(r as varchar), '\n') "
                       "from raw.survey_responses as r").fetchone()[0]
    columns = {c[0] for c in con.execute(
        "select column_name from duckdb_columns() where table_name = 'survey_responses'"
    ).fetchall()}
    con.close()
    for column in ("姓名", "手机号码", "身份证号", "IP地址"):
        assert not any(str(value) in text for value in people[column]), column
    assert columns.isdisjoint({"name", "phone", "id_number", "ip_address"})
    assert len(text.splitlines()) == 300


# --- bad deliveries -------------------------------------------------------------------

def csv_lines(landing: Path, source_id: str) -> tuple[list[str], str]:
    data = delivered(landing, source_id).read_bytes()
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else (
        "gb18030" if source_id in ("dept_ee", "survey") else "utf-8")
    return data.decode(encoding).splitlines(), encoding


def edited_csv(source_id: str, edit: Callable[[list[str]], list[str]],
               encoding: str | None = None) -> Callable[[Path], bytes]:
    def make(landing: Path) -> bytes:
        lines, original = csv_lines(landing, source_id)
        return ("\r\n".join(edit(lines)) + "\r\n").encode(encoding or original)
    return make


def set_cell(row: int, column: int, value: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        cells = lines[row].split(",")
        cells[column] = value
        lines[row] = ",".join(cells)
        return lines
    return edit


def xlsx_edit(source_id: str, change: Callable) -> Callable[[Path], bytes]:
    def make(landing: Path) -> bytes:
        workbook = load_workbook(delivered(landing, source_id))
        change(workbook.worksheets[0])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    return make


def rename_header(sheet) -> None:
    sheet.cell(row=2, column=1).value = "区划代码"


BAD_DELIVERIES = {
    "empty file": ("dept_wr", "空文件.csv", lambda landing: b"",
                   ["the file is empty"]),
    "truncated xlsx": ("dept_nr", "截断.xlsx",
                       lambda landing: delivered(landing, "dept_nr").read_bytes()[:3000],
                       ["not a readable XLSX"]),
    "HTML error page": ("dept_wr", "下载失败.csv",
                        lambda landing: b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
                        ["HTML page"]),
    "wrong encoding": ("dept_wr", "utf16.csv",
                       lambda landing: delivered(landing, "dept_wr").read_text(
                           encoding="utf-8").encode("utf-16"),
                       ["neither UTF-8 nor GBK/GB18030"]),
    "missing column": ("dept_wr", "缺列.csv",
                       edited_csv("dept_wr", lambda ls: [",".join(ln.split(",")[:1]
                                  + ln.split(",")[2:]) for ln in ls]),
                       ["missing column 地区名称"]),
    "renamed column in xlsx": ("dept_nr", "改名.xlsx", xlsx_edit("dept_nr", rename_header),
                               ["no header row starting with 行政区划代码"]),
    "text in a numeric column": ("dept_ee", "文字.csv",
                                 edited_csv("dept_ee", set_cell(3, 4, "暂无数据")),
                                 ["data row 3 (line 4)", "column 细颗粒物(PM2.5)年均浓度",
                                  "'暂无数据' is not a number"]),
    "unknown area code": ("dept_wr", "错码.csv",
                          edited_csv("dept_wr", set_cell(7, 0, unknown_county_code())),
                          ["data row 7", "column 行政区划代码",
                           f"unknown area code {unknown_county_code()}",
                           f"not a county of {PROVINCE['area_name_en']}"]),
    "period in the future": ("dept_wr", "未来.csv", edited_csv("dept_wr", set_cell(2, 2, "2099")),
                             ["data row 2", "column 统计年度", "in the future"]),
    "year of another period": ("dept_wr", "上年.csv",
                               edited_csv("dept_wr", set_cell(2, 2, "2024")),
                               ["does not match the delivery period 2025"]),
    "duplicate rows": ("dept_wr", "重复行.csv",
                       edited_csv("dept_wr", lambda ls: ls + [ls[1]]),
                       [f"data row {len(COUNTIES) + 1}",
                        f"duplicate row for {FIRST_COUNTY['area_code']} (also data row 1"]),
    "file of another source": ("dept_wr", "生态环境.csv",
                               lambda landing: delivered(landing, "dept_ee").read_bytes(),
                               ["delivered by EE, not WR"]),
    "unknown unit": ("dept_wr", "单位.csv",
                     edited_csv("dept_wr", lambda ls: [ls[0].replace("(万吨)", "(桶)"), *ls[1:]]),
                     ["unit 桶 cannot be converted"]),
    "survey: answer not in the scale": (
        "survey", "问卷.csv",
        edited_csv("survey", set_cell(4, 12, "还行"), encoding="gb18030"),
        ["data row 4", "'还行' is not an answer"]),
    "survey: unknown county": (
        "survey", "问卷.csv", edited_csv("survey", set_cell(9, 7, "123456"), encoding="gb18030"),
        ["data row 9", "column 所在区县代码", "unknown area code '123456'",
         f"not a county of {PROVINCE['area_name_en']}"]),
    "survey: truncated export": (
        "survey", "问卷.csv",
        lambda landing: delivered(landing, "survey").read_bytes()[:-700],
        ["not a readable CSV export"]),
    "survey: duplicate answer sheets": (
        "survey", "问卷.csv",
        edited_csv("survey", lambda ls: ls + ls[5:6], encoding="gb18030"),
        ["data row 5", "appears more than once"]),
    "survey: submitted in the future": (
        "survey", "问卷.csv",
        edited_csv("survey", set_cell(2, 1, "2099-01-01 10:00:00"), encoding="gb18030"),
        ["data row 2", "column 提交时间", "in the future"]),
    "third party: unknown indicator": (
        "third_party", "测评.xlsx",
        xlsx_edit("third_party", lambda sheet: setattr(sheet.cell(row=4, column=4), "value",
                                                       "ZZ99")),
        ["data row 2 (line 4)", "column 指标代码", "unknown indicator code 'ZZ99'"]),
    "third party: a city instead of a county": (
        "third_party", "测评.xlsx",
        xlsx_edit("third_party", lambda sheet: setattr(sheet.cell(row=5, column=1), "value",
                                                       FIRST_CITY["area_code"])),
        ["data row 3 (line 5)", "column 行政区划代码",
         f"unknown area code {FIRST_CITY['area_code']}"]),
}


CJK = re.compile(r"[\u4e00-\u9fff]")
# where a problem sits: 'sheet 数据, data row 3 (line 4), column 再生水利用量(万吨)', 'page 2
# item 5, column value', 'line 8', or nothing for the file as a whole
PLACE = (r"(?:(?:sheet [^,]+, )?data row \d+(?: \(line \d+\))?|page \d+(?: item \d+)?"
         r"|line \d+)?(?:(?:, )?column [^:]+)?")


def rule_of(problems: str) -> str:
    """The rule stated by the first problem of an error (after the source and file): the
    text between its place and the English detail in brackets."""
    match = re.match(rf"(?:\d+ problems: )?(?:{PLACE}: )?(?P<rule>.+?) \(", problems)
    assert match, problems
    return match["rule"]


@pytest.mark.parametrize("case", list(BAD_DELIVERIES))
def test_bad_delivery_is_quarantined_with_a_clear_error(landed: Path, case: str) -> None:
    source_id, name, make, expected = BAD_DELIVERIES[case]
    bad = drop(landed, source_id, name, make(landed))
    outcomes = {o.file: o for o in ingest_source(source_id, YEAR)}

    good = outcomes[delivered(landed, source_id).name]
    assert good.status == "loaded", good.error
    outcome = outcomes[name]
    assert outcome.status == "quarantined"
    assert outcome.error.startswith(f"{source_id}: {name}: ")
    for text in expected:
        assert text in outcome.error, outcome.error
    # the rule as a Chinese sentence a clerk can act on, before the English detail
    rule = rule_of(outcome.error.removeprefix(f"{source_id}: {name}: "))
    assert CJK.search(rule) and "，请" in rule, outcome.error

    frame = batches().set_index("batch_id")
    assert frame.loc[outcome.batch_id, "status"] == "quarantined"
    assert frame.loc[outcome.batch_id, "error"] == outcome.error
    kept = Path(frame.loc[outcome.batch_id, "archive_path"])
    assert kept.read_bytes() == bad.read_bytes()  # kept exactly as received
    folder = settings().quarantine_dir / outcome.batch_id.replace(":", "_")
    assert (folder / name).read_bytes() == bad.read_bytes()
    assert outcome.error in (folder / "error.txt").read_text(encoding="utf-8")
    # nothing of the bad batch reached the raw tables
    for table in ("department_values", "survey_responses", "third_party_values"):
        [(rows,)] = query(f"select count(*) from raw.{table} where batch_id = "
                          f"'{outcome.batch_id}'")
        assert rows == 0


@pytest.mark.parametrize(("name", "edit", "expected"), [
    ("缺列.csv", lambda ls: [",".join(ln.split(",")[:1] + ln.split(",")[2:]) for ln in ls],
     "缺少必填列“地区名称”，请使用报送模板的表头 (missing column 地区名称)"),
    ("重复行.csv", lambda ls: ls + [ls[1]],
     f"data row {len(COUNTIES) + 1} (line {len(COUNTIES) + 2}), column 行政区划代码: "
     f"同一区县出现两行，请合并为一行 (duplicate row for {FIRST_COUNTY['area_code']} (also "
     "data row 1 (line 2)))"),
    ("错码.csv", set_cell(7, 0, unknown_county_code()),
     f"data row 7 (line 8), column 行政区划代码: 行政区划代码不是{PROVINCE['area_name_zh']}的"
     f"区县，请核对代码 (unknown area code {unknown_county_code()} (not a county of "
     f"{PROVINCE['area_name_en']} in ref_areas.csv))"),
])
def test_a_rejection_states_its_rule_in_chinese_then_in_english(
        landed: Path, name: str, edit: Callable[[list[str]], list[str]], expected: str) -> None:
    """The whole error as the department reads it in raw.load_batches and error.txt."""
    drop(landed, "dept_wr", name, edited_csv("dept_wr", edit)(landed))
    outcome = {o.file: o for o in ingest_source("dept_wr", YEAR)}[name]
    assert outcome.status == "quarantined"
    assert outcome.error == f"dept_wr: {name}: {expected}"
    folder = settings().quarantine_dir / outcome.batch_id.replace(":", "_")
    assert (folder / "error.txt").read_text(encoding="utf-8") == outcome.error + "\n"


# --- a large survey export: transcoded in pieces on every core ------------------------

def pieces_landed(landed: Path, monkeypatch: pytest.MonkeyPatch, piece_bytes: int) -> None:
    """Make the demo survey export 'large': cut into pieces of ``piece_bytes``."""
    from cityhealth.core import settings as settings_module
    from cityhealth.ingestion import survey_export

    monkeypatch.setenv("CITYHEALTH_DUCKDB_THREADS", "2")
    settings_module.settings.cache_clear()
    monkeypatch.setattr(survey_export, "PIECE_BYTES", piece_bytes)
    assert delivered(landed, "survey").stat().st_size > 10 * piece_bytes


def careful_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files read the careful way from now on (the direct way stopped for them)."""
    from cityhealth.ingestion import survey_export

    careful = survey_export._load_checked
    files: list[str] = []

    def spy(con, source, path, *args, **kwargs):
        files.append(path.name)
        return careful(con, source, path, *args, **kwargs)
    monkeypatch.setattr(survey_export, "_load_checked", spy)
    return files


def test_a_survey_export_in_pieces_keeps_its_rows_and_row_numbers(
        landed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cityhealth.ingestion import transcode

    pieces_landed(landed, monkeypatch, 4096)
    careful = careful_reads(monkeypatch)
    original, _ = csv_lines(landed, "survey")
    export = delivered(landed, "survey")
    # a quoted name with a line break and a quote in it, in a line where a cut guessed
    # at a line end falls inside it: the rest of the export is cut again, quotes counted
    name = '"李\r\n""四"""'
    for row in range(200, len(original)):
        lines = set_cell(row, 3, name)(list(original))
        data = ("\r\n".join(lines) + "\r\n").encode("gb18030")
        export.write_bytes(data)
        cell = data.index(name.encode("gb18030"))
        if any(cell < end < cell + len(name) for _, end in transcode.pieces(export, 4096)):
            break
    else:
        pytest.fail("no line puts the quoted line break at a guessed cut")

    [outcome] = ingest_source("survey", YEAR)

    assert outcome.status == "loaded", outcome.error
    assert careful == []  # loaded the direct way
    ids = [line.split(",")[0] for line in lines[1:]]
    assert query("select row_number, response_id from raw.survey_responses "
                 "order by row_number") == list(enumerate(ids, start=1))
    assert not any(settings().duckdb_temp_directory.iterdir())  # no piece left behind


@pytest.mark.parametrize(("edit", "expected"), [
    (set_cell(290, 7, "123456"), "data row 290, column 所在区县代码: "),
    (set_cell(251, 12, "还行"), "data row 251, column "),
    (lambda ls: ls[:260] + [ls[260] + ",多一列"] + ls[261:], "not a readable CSV export"),
])
def test_an_error_in_a_late_piece_reads_as_for_the_whole_file(
        landed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit,
        expected: str) -> None:
    from cityhealth.core import settings as settings_module
    from cityhealth.ingestion import survey_export

    bad = edited_csv("survey", edit, encoding="gb18030")(landed)
    pieces_landed(landed, monkeypatch, 4096)
    drop(landed, "survey", "问卷.csv", bad)

    in_pieces = {o.file: o for o in ingest_source("survey", YEAR)}["问卷.csv"]
    assert not any(settings().duckdb_temp_directory.iterdir())  # no piece left behind
    # the same deliveries in another home, read as one file
    monkeypatch.setenv("CITYHEALTH_HOME", str(tmp_path / "one_file"))
    settings_module.settings.cache_clear()
    settings().ensure_dirs()
    shutil.copytree(landed, settings().landing_dir, dirs_exist_ok=True)
    monkeypatch.setattr(survey_export, "PIECE_BYTES", 1 << 30)
    as_one_file = {o.file: o for o in ingest_source("survey", YEAR)}["问卷.csv"]

    assert in_pieces.status == as_one_file.status == "quarantined"
    assert expected in in_pieces.error, in_pieces.error
    assert in_pieces.error == as_one_file.error


# --- the two ways a survey export loads ----------------------------------------------------
# A clean export is parsed, checked and inserted in one pass (the direct way); when that
# stops, the export is read again the careful way, which names the problems. Both must
# load the same rows, and a stop must leave nothing of the first attempt behind.

SURVEY_ROWS = ("select row_number, response_id, respondent_key, area_code, period_year, "
               "submitted_at, duration_seconds, questionnaire_id, answers "
               "from raw.survey_responses order by row_number")


def untidy(lines: list[str]) -> list[str]:
    """Cells a real export has: spaces around a code, an answer, a number; 不了解; an empty
    duration."""
    for row, column, value in ((3, 9, " 满意 "), (4, 7, f" {lines[4].split(',')[7]}"),
                               (5, 2, " 300 "), (6, 10, "不了解"), (7, 2, "")):
        lines = set_cell(row, column, value)(lines)
    return lines


@pytest.mark.parametrize("piece_bytes", [None, 4096], ids=["one file", "in pieces"])
def test_the_direct_and_the_careful_way_load_the_same_rows(
        landed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        piece_bytes: int | None) -> None:
    from cityhealth.core import settings as settings_module
    from cityhealth.ingestion import survey_export

    export = edited_csv("survey", untidy, encoding="gb18030")(landed)
    delivered(landed, "survey").write_bytes(export)
    if piece_bytes:
        pieces_landed(landed, monkeypatch, piece_bytes)
    careful = careful_reads(monkeypatch)
    [direct] = ingest_source("survey", YEAR)
    assert careful == []
    direct_rows = query(SURVEY_ROWS)
    # the same delivery in another home, where the direct way always stops
    monkeypatch.setenv("CITYHEALTH_HOME", str(tmp_path / "careful"))
    settings_module.settings.cache_clear()
    settings().ensure_dirs()
    shutil.copytree(landed, settings().landing_dir, dirs_exist_ok=True)
    stops: list[str] = []

    def stop(*args, **kwargs) -> int:
        stops.append("direct")
        raise survey_export._Doubtful("stopped by the test")
    monkeypatch.setattr(survey_export, "_load_direct", stop)
    [careful] = ingest_source("survey", YEAR)

    assert direct.status == careful.status == "loaded", (direct.error, careful.error)
    assert stops == ["direct"]
    assert query(SURVEY_ROWS) == direct_rows
    assert len(direct_rows) == len(csv_lines(landed, "survey")[0]) - 1
    answers = {row[0]: row[-1] for row in direct_rows}
    assert answers[3][0] == 4 and answers[6][1] is None  # " 满意 " and 不了解
    assert {row[0]: row[6] for row in direct_rows}[5] == 300


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_the_respondent_key_is_the_keyed_hash_of_the_trimmed_personal_data(
        landed: Path, encoding: str) -> None:
    """HMAC-SHA256 with the deployment's key of name|phone|ID number, each cell trimmed,
    an empty cell as nothing; a sheet without any personal data is keyed by its sheet
    number (so that it is never taken for another respondent). The same person gives the
    same key whatever the export's encoding."""
    lines = csv_lines(landed, "survey")[0]
    for row, name, phone, id_number in ((3, " 张三 ", "13800000000 ", "360102199001011234"),
                                        (4, "", "", ""), (5, "李四", "", ""),
                                        (6, "", "13900000000", "")):
        for column, value in ((3, name), (4, phone), (5, id_number)):
            lines = set_cell(row, column, value)(lines)
    delivered(landed, "survey").write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    [outcome] = ingest_source("survey", YEAR)
    assert outcome.status == "loaded", outcome.error

    def hmac(message: str) -> str:
        return hmac_module.new(settings().pii_hash_key.encode("utf-8"),
                               message.encode("utf-8"), hashlib.sha256).hexdigest()
    keys = dict(query("select row_number, respondent_key from raw.survey_responses"))
    assert keys[3] == hmac("张三|13800000000|360102199001011234")
    assert keys[4] == hmac(f"anonymous|{lines[4].split(',')[0]}")
    assert keys[5] == hmac("李四||")
    assert keys[6] == hmac("|13900000000|")
    name, phone, id_number = lines[7].split(",")[3:6]
    assert keys[7] == hmac(f"{name}|{phone}|{id_number}")


@pytest.mark.parametrize("where", ["_finish_direct", "_number_rows"],
                         ids=["before its commit", "after its commit"])
def test_a_direct_load_stopped_after_its_insert_leaves_no_row_behind(
        landed: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Stopped before its rows are committed (a row check) or after (the check over all
    rows): the careful read loads each row once."""
    from cityhealth.ingestion import survey_export

    step = getattr(survey_export, where)
    calls: list[int] = []

    def stop_once(con: duckdb.DuckDBPyConnection, *args) -> None:
        calls.append(con.execute("select count(*) from raw.survey_responses").fetchone()[0])
        if len(calls) == 1:
            raise survey_export._Doubtful("stopped by the test")
        step(con, *args)
    monkeypatch.setattr(survey_export, where, stop_once)

    [outcome] = ingest_source("survey", YEAR)

    rows = len(csv_lines(landed, "survey")[0]) - 1
    assert outcome.status == "loaded" and outcome.rows == rows, outcome.error
    assert calls == [rows]  # the direct way had inserted every row when it stopped
    assert query("select count(*), min(row_number), max(row_number), "
                 "count(distinct row_number) from raw.survey_responses") == [
        (rows, 1, rows, rows)]


def test_answer_sheet_numbers_that_differ_only_in_spaces_are_the_same_sheet(
        landed: Path) -> None:
    lines, _ = csv_lines(landed, "survey")
    sheet = lines[2].split(",")[0]
    drop(landed, "survey", "问卷.csv",
         edited_csv("survey", set_cell(9, 0, f" {sheet} "), encoding="gb18030")(landed))

    outcome = {o.file: o for o in ingest_source("survey", YEAR)}["问卷.csv"]

    assert outcome.status == "quarantined"
    assert f"answer sheet {sheet} appears more than once" in outcome.error, outcome.error
    assert "data row 2, column 答卷编号" in outcome.error
    assert "data row 9, column 答卷编号" in outcome.error
