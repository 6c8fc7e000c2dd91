"""A housing sheet read column-wise (``sheet_columns``) loads the rows the cell-by-cell
parser gives; a sheet with anything the cell parser would say a word about goes through
that parser, with the same rows or the same errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cityhealth.demo.generator.objects import OBJECT_HEADER
from cityhealth.ingestion import object_register, sheet_columns
from cityhealth.ingestion.registry import sources
from tests.ingestion.test_objects import (  # noqa: F401  (parents: a fixture)
    YEAR,
    building,
    drop,
    load,
    parents,
    point_in,
)
from tests.reads import query

pytestmark = pytest.mark.usefixtures("parents")  # the compound XQ1 and its own parents

FIELDS = ("object_id", "object_name", "county_code", "street_name", "parent_object_id",
          "period_year", "longitude", "latitude", "year_built", "floors", "dwellings",
          "households", "area_m2", "photo_files")


def csv_text(lines: list[str], bom: bool = False, last_line_end: bool = True) -> str:
    return ("\ufeff" if bom else "") + "\r\n".join(lines) + ("\r\n" if last_line_end else "")


def rows_text() -> list[str]:
    x, y = point_in("360102")
    lines = [",".join(OBJECT_HEADER)]
    for n in range(1, 6):
        cells = [str(c) for c in building(f"ZF{n}", x, y)]
        lines.append(",".join(cells))
    return lines


def landed(text: str) -> Path:
    def write(path: Path) -> Path:
        path.write_text(text, encoding="utf-8")
        return path
    return drop("objects_housing", "住房.csv", write)


def columns_read(path: Path) -> int | None:
    """Rows of the sheet read column-wise, None when it is left to the cell parser."""
    con = duckdb.connect()
    try:
        with sheet_columns.read(con, path, YEAR, object_register.columns("housing"),
                                "period_year", ("object_id",)) as rows:
            return None if rows is None else \
                con.execute(f"select count(*) from {rows}").fetchone()[0]
    finally:
        con.close()


def loaded_rows() -> list[tuple]:
    return query(f"select row_number, {', '.join(FIELDS)} from raw.check_objects "
                 "where object_kind = 'housing' order by row_number")


def parsed_rows(path: Path) -> list[tuple]:
    """The rows as the cell-by-cell parser gives them."""
    frame = object_register.parse(sources()["objects_housing"], YEAR, path, "housing")
    found = []
    for record in frame.to_dict("records"):
        values = [record["row_number"]]
        for field in FIELDS:
            value = record[field]
            if isinstance(value, float) and value != value:
                value = None
            values.append(value)
        found.append(tuple(values))
    return found


def test_a_clean_sheet_is_read_column_wise_into_the_rows_of_the_cell_parser() -> None:
    lines = rows_text()
    lines[1] = lines[1].replace(",幸福小区1栋,", ',"幸福小区1栋,东单元",')  # a quoted comma
    lines[2] = lines[2].replace(f",{YEAR},", f",{YEAR}年,").replace(",6,", ",6.0,")
    lines[3] = lines[3].replace("a.jpg;b.jpg", "a.jpg、b.jpg；c 1.jpg;")
    cells = lines[4].split(",")
    cells[1] = cells[3] = cells[8] = cells[13] = ""  # optional cells left empty
    lines[4] = ",".join(cells)
    path = landed(csv_text(lines, bom=True, last_line_end=False))
    assert columns_read(path) == 5  # the column-wise path takes it
    expected = parsed_rows(path)
    [outcome] = load("objects_housing")
    assert outcome.status == "loaded" and outcome.rows == 5
    rows = loaded_rows()
    assert rows == expected
    assert rows[0][2] == "幸福小区1栋,东单元" and rows[1][6] == int(YEAR)
    assert rows[1][10] == 6 and rows[2][14] == ["a.jpg", "b.jpg", "c 1.jpg"]
    assert rows[3][2] is None and rows[3][9] is None and rows[3][14] is None


@pytest.mark.parametrize("change", [
    lambda ls: ls[:2] + [""] + ls[2:],                                # a blank line
    lambda ls: ["住房体检信息采集表"] + ls,                             # a title row
    lambda ls: ls[:2] + [ls[2].replace(",36,", ",-,")] + ls[3:],       # a placeholder
    lambda ls: ls[:2] + [ls[2].replace(",36,", ", 36,")] + ls[3:],     # a blank to strip
    lambda ls: ls[:2] + [ls[2].replace(",36,", ',"3,6",')] + ls[3:],   # thousands separator
    lambda ls: ls[:2] + [",,,,,,,,,,,,,"] + ls[2:],                    # an empty row
], ids=["blank line", "title row", "placeholder", "blank to strip", "thousands separator",
        "empty row"])
def test_a_sheet_the_cell_parser_tolerates_loads_the_same_rows_cell_by_cell(change) -> None:
    path = landed(csv_text(change(rows_text())))
    assert columns_read(path) is None  # left to the cell-by-cell parser
    expected = parsed_rows(path)
    [outcome] = load("objects_housing")
    assert outcome.status == "loaded", outcome.error
    assert loaded_rows() == expected
    assert [r[0] for r in loaded_rows()] == [1, 2, 3, 4, 5]


def test_a_bad_cell_is_named_as_before() -> None:
    lines = rows_text()
    lines[3] = lines[3].replace(",6,", ",6.5,")
    landed(csv_text(lines))
    [outcome] = load("objects_housing")
    assert outcome.status == "quarantined"
    assert "data row 3 (line 4), column 层数: " in outcome.error
    assert "'6.5' is not a whole number" in outcome.error and "须为整数" in outcome.error
