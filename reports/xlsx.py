"""Workbooks for officials who work in spreadsheets: one sheet per table, a title row."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEADER_FILL = PatternFill("solid", fgColor="EEF3F8")


def _cell(value):
    """A value Excel can hold: lists joined, time zones dropped, missing values empty."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def write_workbook(path: Path, title: str, sheets: dict[str, pd.DataFrame]) -> Path:
    """Each DataFrame on its own sheet under a title row; headers bold, panes frozen."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, frame in sheets.items():
        sheet = workbook.create_sheet(name[:31])
        sheet.append([f"{title} · {name}"])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(list(frame.columns))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        for index, column in enumerate(frame.columns, start=1):
            longest = max([len(str(column))] + [len(str(v)) for v in frame.iloc[:, index - 1]
                                                 .head(200)])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(8, longest * 2), 60)
        sheet.freeze_panes = "A3"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
