"""The workbook writer: every kind of column comes out as the cell an official expects."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from cityhealth.reports import xlsx
from cityhealth.reports.xlsx import write_workbook


def test_each_column_type_gives_its_excel_cell_and_missing_values_stay_empty(
        tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "城市": pd.Series(["南昌市", None, ""], dtype="str"),
        "指数": [82.5, np.nan, 90.0],
        "排名": np.array([1, 2, 3], dtype="int32"),
        "达标": pd.array([5, None, 7], dtype="Int32"),
        "达到": [True, False, True],
        "可选": pd.array([True, None, False], dtype="boolean"),
        "领域": pd.Series([["住房", "小区"], None, np.array(["街区"])], dtype=object),
        "时间": pd.to_datetime(["2025-03-01 08:30", None, "2025-12-31 23:00"]).tz_localize(
            "Asia/Shanghai"),
    })
    path = write_workbook(tmp_path / "表.xlsx", "江西省2025年度城市体检", {"指标": frame})

    sheet = load_workbook(path)["指标"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "江西省2025年度城市体检 · 指标"
    assert rows[1] == tuple(frame.columns)
    assert rows[2] == ("南昌市", 82.5, 1, 5, True, True, "住房、小区",
                       datetime(2025, 3, 1, 8, 30))
    assert rows[3] == (None, None, 2, None, False, None, None, None)
    assert rows[4] == (None, 90.0, 3, 7, True, False, "街区", datetime(2025, 12, 31, 23, 0))
    # numbers are numbers, not texts that look like them
    assert [cell.data_type for cell in sheet[3]][:4] == ["s", "n", "n", "n"]


def _parts(path: Path) -> dict[str, bytes]:
    """A workbook's parts, but its creation time (docProps/core.xml)."""
    with zipfile.ZipFile(path) as workbook:
        return {name: workbook.read(name) for name in workbook.namelist()
                if name != "docProps/core.xml"}


def test_data_rows_written_at_once_are_the_bytes_xlsxwriter_writes_cell_by_cell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data rows of a sheet of texts, numbers and booleans are written into the
    sheet's XML at once: every part of the workbook is what XlsxWriter writes when it
    writes each cell itself, escapes, spaces, control characters and empty cells included,
    beside a sheet with dates, which XlsxWriter still writes itself."""
    texts = ["南昌市", " 前后有空格 ", "A&B <小区> \"引号\"", "换行\n第二行", "控制\x01字符",
             "_x0041_ 像转义", "<r>像富文本</r>", "", None, "=SUM(A1)", "http://例子.cn"]
    size = len(texts)
    frame = pd.DataFrame({
        "文本": pd.Series(texts, dtype="str"),
        "对象文本": pd.Series(texts, dtype=object),
        "指数": [82.5, np.nan, 1e-7, 123456789.123456789, -0.0, 3, 2.5e20, 1 / 3, 0.1,
               np.nan, 7.0],
        "排名": np.arange(size, dtype="int64"),
        "可空整数": pd.array([5, None] * 5 + [1], dtype="Int32"),
        "达到": [True, False] * 5 + [True],
        "可选": pd.array([True, None] * 5 + [False], dtype="boolean"),
        "混合": pd.Series(["文本", 1, 2.5, True, None, np.int64(4), ["住房", "小区"],
                         np.float64(np.nan), "", False, np.array(["街区"])], dtype=object),
        "空列": pd.Series([None] * size, dtype=object),
    })
    sheets = {"指标": frame,
              "有日期": pd.DataFrame({"时间": pd.to_datetime(["2025-03-01 08:30", None]),
                                    "值": [1.5, None]}),
              "空表": frame.iloc[:0],
              "末行空": pd.DataFrame({"甲": ["有", None], "乙": [None, None]})}

    fast = write_workbook(tmp_path / "fast.xlsx", "江西省2025年度城市体检", sheets)

    def cell_by_cell(kind: str, converted: list) -> list:
        raise xlsx._LeftToXlsxWriter

    monkeypatch.setattr(xlsx, "_cells_xml", cell_by_cell)
    slow = write_workbook(tmp_path / "slow.xlsx", "江西省2025年度城市体检", sheets)

    fast_parts, slow_parts = _parts(fast), _parts(slow)
    assert fast_parts.keys() == slow_parts.keys()
    for name in slow_parts:
        assert fast_parts[name] == slow_parts[name], name
    # and the rows are there
    rows = list(load_workbook(fast)["指标"].iter_rows(values_only=True))
    assert len(rows) == 2 + size
    assert rows[2][:4] == ("南昌市", "南昌市", 82.5, 0)
