"""Workbooks for officials who work in spreadsheets: one sheet per table, a title row.

Written with XlsxWriter, row by row (``constant_memory``): a city report's workbook
holds some 300,000 cells, which openpyxl took about 7 s to serialise.
"""

from __future__ import annotations

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
            for row_number, row in enumerate(frame.itertuples(index=False), start=2):
                for index, value in enumerate(row):
                    value = _cell(value)
                    if value is not None:
                        sheet.write(row_number, index, value)
    finally:
        workbook.close()
    return path
