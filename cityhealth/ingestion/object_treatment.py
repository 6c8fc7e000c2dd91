"""整治台账: the treatment of each problem found on an object, reported monthly; a
problem is an object and an indicator of ``ref_object_indicators``, linked to the
urban-renewal project treating it (the project library's 项目编号)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.core.reference import seed_rows
from cityhealth.ingestion.registers import (
    Column,
    day,
    load_register,
    month,
    one_of,
    parse_register,
    text,
)
from cityhealth.ingestion.registry import Source

TREATMENT_STATUS = {"已列入": "listed", "整治中": "in_progress", "已销号": "rectified"}


def _columns() -> list[Column]:
    codes = {r["indicator_code"]: r["indicator_code"]
             for r in seed_rows("ref_object_indicators")}
    return [
        Column("对象编号", "object_id", text),
        Column("指标代码", "indicator_code", one_of(codes, "indicator of "
                                                   "ref_object_indicators.csv", "对象指标目录")),
        Column("报告月份", "period", month),
        Column("项目编号", "project_id", text, required=False, allow_empty=True),
        Column("整治状态", "status", one_of(TREATMENT_STATUS, "treatment status")),
        Column("销号日期", "rectified_on", day, required=False, allow_empty=True),
    ]


def headings() -> dict[str, str]:
    """Field -> column heading as delivered (the quality gate names cells by it)."""
    return {column.field: column.header for column in _columns()}


def parse(source: Source, period: str, path: Path) -> pd.DataFrame:
    frame = parse_register(source, period, path, _columns(), "period",
                           ("object_id", "indicator_code"))
    for field in ("project_id", "rectified_on"):
        if field not in frame:
            frame[field] = None
    return frame


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    return load_register(con, "raw.object_treatment", parse(source, period, path), batch_id)
