"""Reading delivered tables (CSV in any of the encodings senders use, XLSX) as text cells.

Senders put a title row above the header, several sheets in a workbook, a BOM or
GBK bytes in a CSV. ``read_tables`` finds the header row by its first cell (e.g.
``行政区划代码``) in every sheet and returns the rows below it with their numbers in
the sheet, so that errors can point at them. What the file is not (empty, an HTML
error page, a damaged workbook, undecodable bytes) is said plainly.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from cityhealth.ingestion.errors import Problem

HEADER_SEARCH_ROWS = 20
TOTAL_ROW_LABELS = {"合计", "总计", "小计", "全市", "全省", "全市合计", "全省合计"}


@dataclass
class Row:
    data_row: int          # 1-based row below the header
    line: int              # 1-based row (line) in the sheet or file
    cells: dict[str, str]  # header -> text ('' when empty)

    def where(self, sheet: str | None) -> str:
        prefix = f"sheet {sheet}, " if sheet else ""
        return f"{prefix}data row {self.data_row} (line {self.line})"


@dataclass
class Table:
    sheet: str | None      # None for CSV
    header: list[str]
    rows: list[Row]


def sniff(data: bytes) -> str:
    """'xlsx', 'html', 'empty' or 'text' from the first bytes."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "empty"
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        return "html"
    return "text"


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in: UTF-8 (with or without BOM) or GB18030."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise ValueError(
                f"neither UTF-8 nor GBK/GB18030 text (undecodable byte at offset "
                f"{utf8_error.start}); save the file as CSV in UTF-8 or GBK") from None


def detect_encoding(path: Path, probe_bytes: int = 1 << 20) -> str:
    """Encoding of a large CSV from its first megabyte: 'utf-8' or 'gb18030'."""
    with open(path, "rb") as handle:
        data = handle.read(probe_bytes)
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def cell_text(value: object) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _tables_from_grid(grid: Iterator[list[str]], sheet: str | None,
                      first_header: str) -> Table | None:
    header: list[str] | None = None
    rows: list[Row] = []
    for line, cells in enumerate(grid, start=1):
        if header is None:
            if line > HEADER_SEARCH_ROWS:
                return None
            if cells and cells[0].replace("\ufeff", "").strip() == first_header:
                header = [c.replace("\ufeff", "").strip() for c in cells]
                while header and not header[-1]:
                    header.pop()
            continue
        if not any(cells):
            continue
        values = {name: (cells[i] if i < len(cells) else "")
                  for i, name in enumerate(header) if name}
        rows.append(Row(data_row=len(rows) + 1, line=line, cells=values))
    return Table(sheet, header, rows) if header is not None else None


def _csv_grid(text: str) -> Iterator[list[str]]:
    for cells in csv.reader(io.StringIO(text, newline="")):
        yield [c.strip() for c in cells]


def _xlsx_grids(data: bytes) -> Iterator[tuple[str, Iterator[list[str]]]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ValueError(f"not a readable XLSX workbook (truncated or damaged: {error})") \
            from None
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows(values_only=True)
        yield sheet.title, ([cell_text(v) for v in row] for row in rows)


def read_tables(path: Path, first_header: str) -> tuple[list[Table], list[Problem]]:
    """Every table in a delivered file whose header row starts with ``first_header``.

    Returns the tables, or the problems that make the file unreadable as a whole.
    """
    data = path.read_bytes()
    kind = sniff(data)
    if kind == "empty":
        return [], [Problem("the file is empty")]
    if kind == "html":
        return [], [Problem("the file is an HTML page (an error page or a login page?), "
                            "not a data table")]
    tables: list[Table] = []
    try:
        if kind == "xlsx":
            for sheet, grid in _xlsx_grids(data):
                table = _tables_from_grid(grid, sheet, first_header)
                if table is not None:
                    tables.append(table)
        else:
            if path.suffix.lower() == ".xlsx":
                return [], [Problem("named .xlsx but not an XLSX workbook")]
            text, _encoding = decode_text(data)
            table = _tables_from_grid(_csv_grid(text), None, first_header)
            if table is not None:
                tables.append(table)
    except (ValueError, csv.Error) as error:
        return [], [Problem(str(error))]
    if not tables:
        return [], [Problem(f"no header row starting with {first_header} in the first "
                            f"{HEADER_SEARCH_ROWS} rows (a renamed column, a file of another "
                            "source, or the wrong encoding?)")]
    return tables, []


def is_total_row(row: Row, code_column: str, name_column: str) -> bool:
    """A 合计/全市 row under the county rows: a sum the warehouse computes itself."""
    return not row.cells.get(code_column) and row.cells.get(name_column, "") in TOTAL_ROW_LABELS


def parse_number(text: str) -> float | None:
    """A delivered figure: '' or a dash is missing; thousands separators are allowed.

    Raises ValueError for anything else that is not a number.
    """
    cleaned = text.strip().replace(",", "").replace("，", "")
    if cleaned in ("", "-", "—", "--", "/"):
        return None
    value = float(cleaned)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value
