"""The urban-renewal project library with each project's progress in the report month."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.core.reference import seed_rows
from cityhealth.ingestion.registers import (
    PROJECT_STATUS,
    Column,
    area,
    indicator_list,
    load_register,
    month,
    month_start,
    number,
    one_of,
    parse_register,
    percent,
    text,
)
from cityhealth.ingestion.registry import Source


def _columns() -> list[Column]:
    types = {r["project_type_zh"]: r["project_type_code"] for r in seed_rows("ref_project_types")}
    return [
        Column("项目编号", "project_id", text),
        Column("项目名称", "project_name", text),
        Column("行政区划代码", "area_code", area(("county",))),
        Column("项目类型", "project_type_code", one_of(types, "project type of "
                                                          "ref_project_types.csv", "项目类型目录")),
        Column("针对问题指标", "indicator_codes", indicator_list, allow_empty=True),
        Column("责任单位", "department", text, allow_empty=True),
        Column("计划总投资(万元)", "planned_investment", number),
        Column("计划开工", "planned_start", month_start),
        Column("计划完工", "planned_end", month_start),
        Column("报告月份", "period", month),
        Column("累计完成投资(万元)", "invested_to_date", number),
        Column("形象进度(%)", "progress_pct", percent),
        Column("项目状态", "status", one_of(PROJECT_STATUS, "project status")),
    ]


def headings() -> dict[str, str]:
    """Field -> column heading as delivered (the quality gate names cells by it)."""
    return {column.field: column.header for column in _columns()}


def parse(source: Source, period: str, path: Path) -> pd.DataFrame:
    return parse_register(source, period, path, _columns(), "period", ("project_id",))


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    return load_register(con, "raw.project_progress", parse(source, period, path), batch_id)
