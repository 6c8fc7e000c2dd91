"""Reading delivered tables (CSV in any of the encodings senders use, XLSX) as text cells.

Senders put a title row above the header, several sheets in a workbook, a BOM or
GBK bytes in a CSV. ``read_tables`` finds the header row by its first cell (e.g.
``行政区划代码``) in every sheet and returns the rows below it with their numbers in
the sheet, so that errors can point at them. What the file is not (empty, an HTML
error page, a damaged workbook, undecodable bytes, another delimiter than the comma)
is said plainly, with the line and column where it shows.

A cell is never silently lost: a workbook formula saved without its result is an error
naming the cell, and a placeholder (``-``, ``—``, ``/``, ``无`` …) in a number cell is
read as missing and listed (``Placeholder``) so that the load can say which cells were.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from cityhealth.ingestion.errors import Problem, Refused, problem, problem_of, shown

HEADER_SEARCH_ROWS = 20
TOTAL_ROW_LABELS = {"合计", "总计", "小计", "全市", "全省", "全市合计", "全省合计"}
MAX_CELL_CHARS = 32767  # the most a spreadsheet cell holds (Excel, WPS)
# what clerks type for "no figure": read as missing, and listed (see Placeholder)
PLACEHOLDERS = frozenset({"-", "--", "---", "—", "——", "–", "－", "‐", "/", "／", "\\",
                          "无", "空", "N/A", "n/a", "NA"})
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!",
                          "#VALUE!", "#SPILL!", "#CALC!", "#GETTING_DATA"})
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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


@dataclass(frozen=True)
class Placeholder:
    """A cell read as missing because it held a placeholder such as '-' (not because it
    was empty): where it is, its column heading as delivered and its text."""

    data_row: int
    where: str     # e.g. 'sheet 数据, data row 5 (line 7)'
    column: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}, column {shown(self.column)}: '{shown(self.text)}'"


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


def _position(data: bytes, start: int, end: int, encoding: str) -> str:
    """'line 7, column 12 (byte 345: 0xFF 0xFE)' for undecodable bytes data[start:end]."""
    line_start = data.rfind(b"\n", 0, start) + 1
    column = len(data[line_start:start].decode(encoding, errors="replace")) + 1
    shown_bytes = " ".join(f"0x{b:02X}" for b in data[start:min(end, start + 4)])
    line = data.count(b"\n", 0, start) + 1
    return (f"line {line}, column {column} "
            f"(byte {start}: {shown_bytes})")


def undecodable(data: bytes, error: UnicodeDecodeError, encoding: str) -> str:
    """The message for bytes that are not text in the encoding the file is in."""
    name = "GBK/GB18030" if encoding == "gb18030" else "UTF-8"
    return (f"undecodable bytes at {_position(data, error.start, error.end, encoding)} "
            f"in {name} text; save the file as CSV in UTF-8 or GBK")


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in: UTF-8 (with or without BOM) or GB18030.

    A file that is neither is located where it breaks in the encoding it is written in:
    UTF-8 when it starts with a BOM or its earlier non-ASCII characters are UTF-8,
    GBK/GB18030 otherwise (a GBK file stops being UTF-8 at its first Chinese character).
    """
    if data.startswith(UTF16_BOMS):
        raise Refused("encoding", "neither UTF-8 nor GBK/GB18030 text but UTF-16 (Excel's "
                      "\"Unicode text\"); save the file as CSV in UTF-8 or GBK")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as gbk_error:
            is_utf8 = data.startswith(b"\xef\xbb\xbf") or \
                not data[:utf8_error.start].isascii()
            found = undecodable(data, utf8_error, "utf-8") if is_utf8 else \
                undecodable(data, gbk_error, "gb18030")
            raise Refused("encoding", f"neither UTF-8 nor GBK/GB18030 text: {found}") \
                from None


def detect_encoding(path: Path, probe_bytes: int = 1 << 20) -> str:
    """Encoding of a large CSV from its first megabyte: 'utf-8' or 'gb18030'.

    UTF-8 text with a bad byte stays UTF-8 (its reader then says where the byte is)."""
    with open(path, "rb") as handle:
        data = handle.read(probe_bytes)
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=False)
        return "utf-8"
    except UnicodeDecodeError as error:
        if data.startswith(b"\xef\xbb\xbf") or not data[:error.start].isascii():
            return "utf-8"
        return "gb18030"


def locate_undecodable(path: Path, encoding: str, chunk_bytes: int = 8 << 20) -> str | None:
    """Where a file stops being text in its encoding (read in chunks; for error messages)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset, lines = 0, 0
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(chunk_bytes)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                start = offset - pending + error.start
                handle.seek(max(start - (1 << 16), 0))
                before = handle.read(start - max(start - (1 << 16), 0))
                bad = handle.read(4)
                line_start = before.rfind(b"\n") + 1
                column = len(before[line_start:].decode(encoding, errors="replace")) + 1
                line = lines + chunk[:max(error.start - pending, 0)].count(b"\n") + 1
                shown_bytes = " ".join(f"0x{b:02X}" for b in bad[:error.end - error.start])
                name = "GBK/GB18030" if encoding == "gb18030" else "UTF-8"
                return (f"undecodable bytes at line {line}, column {column} (byte {start}: "
                        f"{shown_bytes}) in {name} text")
            if not chunk:
                return None
            offset += len(chunk)
            lines += chunk.count(b"\n")


def delimiter_problem(first_line: str, first_header: str) -> Problem | None:
    """Why a CSV whose header line starts with ``first_header`` is not comma separated."""
    line = first_line.lstrip("\ufeff").lstrip('"')
    if not line.startswith(first_header):
        return None
    counts = {d: line.count(d) for d in DELIMITERS}
    found = max(counts, key=lambda d: counts[d])
    if found == "," or counts[found] <= counts[","]:
        return None
    shown_delimiter = "\\t" if found == "\t" else found
    return problem("delimiter", f"the file is separated by '{shown_delimiter}' "
                   f"({DELIMITERS[found]}), expected ',' (comma): save it as CSV (comma "
                   "delimited)")


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


Grid = Iterator[tuple[list[str], dict[int, str]]]  # cells, formulas without a result


def _tables_from_grid(grid: Grid, sheet: str | None, first_header: str,
                      problems: list[Problem]) -> Table | None:
    header: list[str] | None = None
    rows: list[Row] = []
    for line, (cells, formulas) in enumerate(grid, start=1):
        if header is None:
            if line > HEADER_SEARCH_ROWS:
                return None
            if cells and cells[0].replace("\ufeff", "").strip() == first_header:
                header = [c.replace("\ufeff", "").strip() for c in cells]
                while header and not header[-1]:
                    header.pop()
            continue
        if not any(cells) and not formulas:
            continue
        row = Row(data_row=len(rows) + 1, line=line, cells={
            name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name})
        rows.append(row)
        for i, formula in formulas.items():
            if i < len(header) and header[i]:
                problems.append(problem(
                    "formula_without_result",
                    f"cell {get_column_letter(i + 1)}{line} holds the formula "
                    f"{shown(formula)} saved without its result (the file was written by a "
                    "program that does not calculate): open it in Excel or WPS and save it "
                    "again, or paste the values", row.where(sheet), header[i]))
        for name, text in row.cells.items():
            if len(text) > MAX_CELL_CHARS:
                hint = " (a quote opened in this cell and never closed?)" \
                    if "\n" in text else ""
                problems.append(problem(
                    "cell_too_long", f"the cell holds {len(text):,} characters, more than a "
                    f"spreadsheet cell holds ({MAX_CELL_CHARS:,}){hint}", row.where(sheet), name))
                row.cells[name] = text[:MAX_CELL_CHARS]
    return Table(sheet, header, rows) if header is not None else None


def _csv_grid(text: str) -> Grid:
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    for cells in csv.reader(io.StringIO(text, newline="")):
        yield [c.strip() for c in cells], {}


def _formula(cell: object) -> str | None:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f":
        return value if isinstance(value, str) else str(getattr(value, "text", value))
    return None


# A cell's formula in a worksheet's XML: <f>, <f t="shared" …/>, or with a namespace
# prefix (<x:f>); not <formula> of a validation rule or a conditional format.
_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")
_XML_PIECE = 1 << 20  # bytes of a sheet's XML searched at a time


def _holds_formulas(data: bytes) -> bool:
    """Whether any worksheet of an XLSX workbook holds a formula (each sheet's XML read
    in pieces, so that a sheet of a million rows is never held whole)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as part:
                tail = b""
                while piece := part.read(_XML_PIECE):
                    searched = tail + piece
                    if _FORMULA_ELEMENT.search(searched):
                        return True
                    tail = searched[-64:]  # an element split between pieces
    return False


def _xlsx_grids(data: bytes) -> Iterator[tuple[str, Grid]]:
    """Each sheet's cells as text, with the formulas whose result was not saved (a workbook
    written by a program that does not calculate holds the formula and no value).

    The formulas are a second read of the workbook, made only when a sheet holds one:
    most deliveries hold none, and reading cells is most of an XLSX load's time."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = (load_workbook(io.BytesIO(data), read_only=True, data_only=False)
                    if _holds_formulas(data) else None)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise Refused("damaged_xlsx",
                      f"not a readable XLSX workbook (truncated or damaged: {error})") from None
    formula_sheets = formulas.worksheets if formulas else [None] * len(workbook.worksheets)
    for sheet, formula_sheet in zip(workbook.worksheets, formula_sheets, strict=True):
        def grid(sheet=sheet, formula_sheet=formula_sheet) -> Grid:
            if formula_sheet is None:
                for row in sheet.iter_rows():
                    yield [cell_text(getattr(c, "value", None)) for c in row], {}
                return
            for row, formula_row in zip(sheet.iter_rows(), formula_sheet.iter_rows(),
                                        strict=False):
                values = [cell_text(getattr(c, "value", None)) for c in row]
                missing = {i: text for i, c in enumerate(formula_row)
                           if (text := _formula(c)) is not None
                           and (i >= len(row) or getattr(row[i], "value", None) is None)}
                yield values, missing
        yield sheet.title, grid()


def read_tables(path: Path, first_header: str) -> tuple[list[Table], list[Problem]]:
    """Every table in a delivered file whose header row starts with ``first_header``.

    Returns the tables, or the problems that make the file unreadable as it is (a formula
    without its result, a cell larger than a spreadsheet's: named by row and column).
    """
    data = path.read_bytes()
    kind = sniff(data)
    if kind == "empty":
        return [], [problem("empty_file", "the file is empty")]
    if kind == "html":
        return [], [problem("html_page", "the file is an HTML page (an error page or a login "
                            "page?), not a data table")]
    tables: list[Table] = []
    problems: list[Problem] = []
    try:
        if kind == "xlsx":
            for sheet, grid in _xlsx_grids(data):
                table = _tables_from_grid(grid, sheet, first_header, problems)
                if table is not None:
                    tables.append(table)
        else:
            if path.suffix.lower() == ".xlsx":
                return [], [problem("not_xlsx", "named .xlsx but not an XLSX workbook")]
            text, _encoding = decode_text(data)
            table = _tables_from_grid(_csv_grid(text), None, first_header, problems)
            if table is None:
                lines = text.splitlines()[:HEADER_SEARCH_ROWS]
                for line in lines:
                    if (issue := delimiter_problem(line, first_header)) is not None:
                        return [], [issue]
            else:
                tables.append(table)
    except ValueError as error:
        return [], [problem_of(error)]
    except csv.Error as error:
        return [], [problem("unreadable_csv", str(error))]
    if problems:
        return [], problems
    if not tables:
        return [], [problem("no_header", f"no header row starting with {first_header} in the "
                            f"first {HEADER_SEARCH_ROWS} rows (a renamed column, a file of "
                            "another source, or the wrong encoding?)",
                            first=first_header, rows=HEADER_SEARCH_ROWS)]
    return tables, []


def is_total_row(row: Row, code_column: str, name_column: str) -> bool:
    """A 合计/全市 row under the county rows: a sum the warehouse computes itself."""
    return not row.cells.get(code_column) and row.cells.get(name_column, "") in TOTAL_ROW_LABELS


def is_placeholder(text: str) -> bool:
    """A cell that says 'no figure' with a dash, slash or 无 rather than being empty."""
    return text.strip() in PLACEHOLDERS


def parse_number(text: str) -> float | None:
    """A delivered figure: '' or a placeholder (``is_placeholder``) is missing; thousands
    separators are allowed.

    Raises ``Refused`` (a ValueError), with the message for the clerk, for anything else.
    """
    cleaned = text.strip().replace(",", "").replace("，", "")
    if not cleaned or cleaned in PLACEHOLDERS:
        return None
    if cleaned.upper() in EXCEL_ERRORS:
        raise Refused("spreadsheet_error", f"'{shown(text)}' is a spreadsheet error, not a "
                      "number (the cell's formula failed)")
    try:
        value = float(cleaned)
    except ValueError:
        raise Refused("not_number", f"'{shown(text)}' is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise Refused("not_number", f"'{shown(text)}' is not a number")
    return value


def placeholder(row: Row, sheet: str | None, column: str) -> Placeholder | None:
    """The row's cell in ``column`` as a Placeholder when it holds one."""
    text = row.cells.get(column, "")
    if text and is_placeholder(text):
        return Placeholder(row.data_row, row.where(sheet), column, text)
    return None


def placeholder_warning(placeholders: list[Placeholder], limit: int = 10) -> str:
    """'3 cells read as missing (placeholders): data row 2 (line 3), column X: '-'; …'."""
    listed = "; ".join(str(p) for p in placeholders[:limit])
    more = f"; and {len(placeholders) - limit} more" if len(placeholders) > limit else ""
    return f"{len(placeholders)} cells read as missing (placeholders): {listed}{more}"
