"""The task register of the monthly dispatch: progress of each plan task in each city."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.core.reference import seed_rows
from cityhealth.ingestion.registers import (
    TASK_STATUS,
    Column,
    area,
    load_register,
    month,
    one_of,
    parse_register,
    percent,
    text,
)
from cityhealth.ingestion.registry import Source


def _columns() -> list[Column]:
    tasks = {r["task_code"]: r["task_code"] for r in seed_rows("ref_plan_tasks")}
    return [
        Column("任务编号", "task_code",
               one_of(tasks, "task of ref_plan_tasks.csv", "规划任务目录")),
        Column("任务名称", "task_name", text, required=False, allow_empty=True),
        Column("城市代码", "city_code", area(("city",))),
        Column("报告月份", "period", month),
        Column("年度目标", "annual_target", text, required=False, allow_empty=True),
        Column("累计完成进度(%)", "progress_pct", percent),
        Column("状态", "status", one_of(TASK_STATUS, "task status")),
        Column("情况说明", "note", text, required=False, allow_empty=True),
    ]


def headings() -> dict[str, str]:
    """Field -> column heading as delivered (the quality gate names cells by it)."""
    return {column.field: column.header for column in _columns()}


def parse(source: Source, period: str, path: Path) -> pd.DataFrame:
    frame = parse_register(source, period, path, _columns(), "period",
                           ("task_code", "city_code"))
    return frame.drop(columns=["task_name"], errors="ignore")


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    return load_register(con, "raw.task_progress", parse(source, period, path), batch_id)
