"""The workbook writer: every kind of column comes out as the cell an official expects."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook

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
