"""Workbooks for officials who work in spreadsheets: one sheet per table, a title row.

Written with XlsxWriter, row by row (``constant_memory``): a city report's workbook
holds some 300,000 cells, which openpyxl took about 7 s to serialise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

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


def _column(sheet, values: pd.Series) -> tuple[Callable, list]:
    """How to write one column's cells, and its values as Excel takes them (None: empty).

    Converted a column at a time, and written with the writer of its type, not
    ``write`` (which works out each cell's type again): the same cells as
    ``write(_cell(value))``, in about half the time (a check year's workbook holds some
    600,000 cells).
    """
    dtype = values.dtype
    present = values.notna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype) and present.all():
        return sheet.write_boolean, values.to_numpy().tolist()
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        numbers = values.astype(object).to_numpy().tolist()
        return sheet.write_number, [v if ok else None for v, ok in zip(numbers, present,
                                                                       strict=True)]
    if isinstance(dtype, pd.StringDtype):  # texts or missing, nothing else
        texts = values.astype(object).to_numpy().tolist()
        # an empty text is an empty cell, as write() makes it
        return sheet.write_string, [v if ok and v != "" else None
                                    for v, ok in zip(texts, present, strict=True)]
    return sheet.write, [_cell(v) for v in values.astype(object).to_numpy().tolist()]


def _width(column: str, values: pd.Series) -> float:
    longest = max([len(str(column))] + [len(str(v)) for v in values.head(200)])
    return min(max(8, longest * 2), 60)


def write_workbook(path: Path, title: str, sheets: dict[str, pd.DataFrame]) -> Path:
    """Each DataFrame on its own sheet under a title row; headers bold, panes frozen."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
            columns = [_column(sheet, frame.iloc[:, index]) for index in range(frame.shape[1])]
            for offset, row in enumerate(zip(*(values for _write, values in columns),
                                             strict=True)):
                for index, value in enumerate(row):
                    if value is not None:
                        columns[index][0](offset + 2, index, value)
    finally:
        workbook.close()
    return path
