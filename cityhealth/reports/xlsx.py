"""Workbooks for officials who work in spreadsheets: one sheet per table, a title row.

Written with XlsxWriter, row by row (``constant_memory``): a city report's workbook
holds some 300,000 cells, which openpyxl took about 7 s to serialise. XlsxWriter writes
the workbook, its styles and each sheet's title and header rows; the data rows of a
sheet whose cells are texts, numbers and booleans are then written into the sheet's XML
at once, as the very bytes XlsxWriter writes for them cell by cell (a check year's
workbook, 670,000 cells, took 3.4 s that way, the longest part of its report task).
"""

from __future__ import annotations

import math
import re
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import (
    _preserve_whitespace,
    xl_cell_to_rowcol,
    xl_col_to_name,
    xl_rowcol_to_cell,
)
from xlsxwriter.xmlwriter import XMLwriter

HEADER_COLOUR = "#EEF3F8"
SHEET_NAME_LIMIT = 31  # Excel's


def _cell(value):
    """A value Excel can hold: lists joined, numpy scalars unboxed, time zones dropped,
    missing values empty."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _column(values: pd.Series) -> tuple[str, list]:
    """How one column's cells are written – "boolean", "number", "string" or "any"
    (each value by its type) – and its values as Excel takes them (None: empty).

    Converted a column at a time, and written with the writer of its type, not
    ``write`` (which works out each cell's type again): the same cells as
    ``write(_cell(value))``, in about half the time (a check year's workbook holds some
    600,000 cells).
    """
    dtype = values.dtype
    present = values.notna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype) and present.all():
        return "boolean", values.to_numpy().tolist()
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        numbers = values.astype(object).to_numpy().tolist()
        return "number", [v if ok else None for v, ok in zip(numbers, present, strict=True)]
    if isinstance(dtype, pd.StringDtype):  # texts or missing, nothing else
        texts = values.astype(object).to_numpy().tolist()
        # an empty text is an empty cell, as write() makes it
        return "string", [v if ok and v != "" else None
                          for v, ok in zip(texts, present, strict=True)]
    return "any", [_cell(v) for v in values.astype(object).to_numpy().tolist()]


def _width(column: str, values: pd.Series) -> float:
    longest = max([len(str(column))] + [len(str(v)) for v in values.head(200)])
    return min(max(8, longest * 2), 60)


# The longest text this writer puts into a cell itself: a longer one may exceed Excel's
# 32,767 UTF-16 units, which XlsxWriter truncates (the sheet is then left to it).
_TEXT_LIMIT = 16383


# What XlsxWriter's _escape_control_characters changes: control characters, the
# "_xHHHH_" that would read as one, U+FFFE and U+FFFF.
_TO_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


def _number_xml(value: float) -> str:
    if not math.isfinite(value):  # XlsxWriter refuses it, with its own message
        raise _LeftToXlsxWriter
    return f"><v>{value:.16G}</v></c>"


def _text_xml(text: str) -> str | None:
    """What follows ``<c r="A3"`` for a text, as XlsxWriter's in-line string; None: an
    empty cell; raises _LeftToXlsxWriter for a text too long to vouch for."""
    if text == "":
        return None
    if len(text) > _TEXT_LIMIT:
        raise _LeftToXlsxWriter
    if _TO_ESCAPE.search(text):  # (most texts: nothing to escape, one search instead of 2)
        text = XMLwriter._escape_control_characters(text)
    if text.startswith("<r>") and text.endswith("</r>"):  # a rich string, written as is
        return f' t="inlineStr"><is>{text}</is></c>'
    space = (' xml:space="preserve"' if (text[0].isspace() or text[-1].isspace())
             and _preserve_whitespace(text) else "")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _boolean_xml(value: bool) -> str:
    return f' t="b"><v>{1 if value else 0}</v></c>'


class _LeftToXlsxWriter(Exception):
    """A value whose cell this writer does not write itself (a date, a very long text)."""


def _value_xml(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return _boolean_xml(value)
    if isinstance(value, (int, float)):
        return _number_xml(value)
    if isinstance(value, str):
        return _text_xml(value)
    raise _LeftToXlsxWriter


def _cells_xml(kind: str, converted: list) -> list[str | None]:
    """Each cell of a column as XlsxWriter writes it after ``<c r="A3"`` (None: no cell),
    from what :func:`_column` gives."""
    if kind == "number":
        return [None if v is None else _number_xml(v) for v in converted]
    if kind == "string":
        return [None if v is None else _text_xml(v) for v in converted]
    if kind == "boolean":
        return [_boolean_xml(v) for v in converted]
    return [_value_xml(v) for v in converted]


def _rows_xml(cells: list[list[str | None]], first_row: int) -> tuple[str, int, int]:
    """The <row> elements of a sheet's data, from 0-based row ``first_row``; with the
    last row and column holding a cell (-1: none)."""
    letters = [xl_col_to_name(index) for index in range(len(cells))]
    rows = []
    last_row = last_col = -1
    for offset, row in enumerate(zip(*cells, strict=True)):
        number = first_row + offset + 1
        filled = [index for index, xml in enumerate(row) if xml is not None]
        if filled:
            cells_xml = "".join(f'<c r="{letters[index]}{number}"{row[index]}'
                                for index in filled)
            rows.append(f'<row r="{number}">{cells_xml}</row>')
            last_row = number - 1
            last_col = max(last_col, filled[-1])
    return "".join(rows), last_row, last_col


_DIMENSION = re.compile(r'<dimension ref="(\w+)(?::(\w+))?"/>')


def _insert_rows(xml: str, rows: str, last_row: int, last_col: int) -> str:
    """A sheet's XML with ``rows`` at the end of its data and its dimension widened."""
    match = _DIMENSION.search(xml)
    start = match.group(1)
    end_row, end_col = xl_cell_to_rowcol(match.group(2) or start)
    end = xl_rowcol_to_cell(max(end_row, last_row), max(end_col, last_col))
    ref = start if start == end else f"{start}:{end}"
    xml = xml[:match.start()] + f'<dimension ref="{ref}"/>' + xml[match.end():]
    if "<sheetData/>" in xml:
        return xml.replace("<sheetData/>", f"<sheetData>{rows}</sheetData>", 1)
    return xml.replace("</sheetData>", f"{rows}</sheetData>", 1)


def _put_rows(path: Path, rows: dict[int, tuple[str, int, int]]) -> None:
    """Write the data rows of sheets (by 1-based index) into the workbook at ``path``."""
    partial = path.with_name(f"{path.name}.rows")
    try:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(partial, "w") as target:
            for info in source.infolist():
                data = source.read(info)
                index = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
                if index and int(index.group(1)) in rows:
                    data = _insert_rows(data.decode("utf-8"),
                                        *rows[int(index.group(1))]).encode("utf-8")
                target.writestr(info, data, compress_type=info.compress_type)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def write_workbook(path: Path, title: str, sheets: dict[str, pd.DataFrame]) -> Path:
    """Each DataFrame on its own sheet under a title row; headers bold, panes frozen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    later: dict[int, tuple[str, int, int]] = {}  # sheet number: its data rows, put in after
    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True,
        # cells are data, never formulas or links, whatever their text looks like
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "default_date_format": "yyyy-mm-dd hh:mm",
    })
    title_format = workbook.add_format({"bold": True, "font_size": 13})
    header_format = workbook.add_format({"bold": True, "bg_color": HEADER_COLOUR,
                                         "text_wrap": True, "valign": "top"})
    try:
        for name, frame in sheets.items():
            sheet = workbook.add_worksheet(name[:SHEET_NAME_LIMIT])
            for index, column in enumerate(frame.columns):
                sheet.set_column(index, index, _width(column, frame.iloc[:, index]))
            sheet.freeze_panes(2, 0)
            sheet.write_string(0, 0, f"{title} · {name}", title_format)
            for index, column in enumerate(frame.columns):
                sheet.write_string(1, index, str(column), header_format)
            columns = [_column(frame.iloc[:, index]) for index in range(frame.shape[1])]
            try:
                cells = [_cells_xml(kind, converted) for kind, converted in columns]
            except _LeftToXlsxWriter:
                _write_cells(sheet, columns)
                continue
            if frame.shape[0]:
                later[len(workbook.worksheets())] = _rows_xml(cells, 2)
    finally:
        workbook.close()
    if later:
        _put_rows(path, later)
    return path


def _write_cells(sheet, columns: list[tuple[str, list]]) -> None:
    """The data rows of a sheet, cell by cell through XlsxWriter (dates among them), from
    its columns as :func:`_column` gives them."""
    writers = {"boolean": sheet.write_boolean, "number": sheet.write_number,
               "string": sheet.write_string, "any": sheet.write}
    for offset, row in enumerate(zip(*(values for _kind, values in columns), strict=True)):
        for index, value in enumerate(row):
            if value is not None:
                writers[columns[index][0]](offset + 2, index, value)
