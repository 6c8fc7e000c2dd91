"""What the field teams found on each object in a check year (问题清单 of the four-level
check): one row per object and indicator of ``ref_object_indicators``.

Beyond the cells, a finding must be on an object delivered for the same check year
(the object registers load first, sources.yaml ``after``), of the kind its indicator
applies to; a gap or a measure needs its figure, a flag is 1 (or left empty).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cityhealth.core.reference import seed_rows
from cityhealth.ingestion.errors import DeliveryError, Problem, problem
from cityhealth.ingestion.object_register import KIND_ZH, delivered_objects
from cityhealth.ingestion.registers import (
    Column,
    file_names,
    load_register,
    number,
    one_of,
    parse_register,
    text,
    year,
)
from cityhealth.ingestion.registry import Source

OBJECT, INDICATOR, VALUE = "对象编号", "指标代码", "问题数值"


def _indicators() -> dict[str, dict[str, str]]:
    return {r["indicator_code"]: r for r in seed_rows("ref_object_indicators")}


def _columns() -> list[Column]:
    codes = {code: code for code in _indicators()}
    return [
        Column(OBJECT, "object_id", text),
        Column(INDICATOR, "indicator_code", one_of(codes, "indicator of "
                                                   "ref_object_indicators.csv", "对象指标目录")),
        Column("体检年度", "period_year", year),
        Column(VALUE, "value", number, allow_empty=True),
        Column("问题描述", "finding_zh", text, required=False, allow_empty=True),
        Column("照片文件", "photo_files", file_names, required=False, allow_empty=True),
    ]


def headings() -> dict[str, str]:
    """Field -> column heading as delivered (the quality gate names cells by it)."""
    return {column.field: column.header for column in _columns()}


def _problems(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> list[Problem]:
    indicators = pd.DataFrame(seed_rows("ref_object_indicators"))[
        ["indicator_code", "object_kind", "finding_kind"]].rename(
        columns={"object_kind": "indicator_kind"})
    objects = delivered_objects(con, int(frame["period_year"].iloc[0]))
    rows = frame.merge(indicators, on="indicator_code", how="left").merge(
        objects, on="object_id", how="left")
    unknown = rows["object_kind"].isna()
    other = ~unknown & (rows["object_kind"] != rows["indicator_kind"])
    empty = rows["value"].isna()
    flag = rows["finding_kind"] == "flag"
    found: list[tuple[int, Problem]] = []
    for i in np.flatnonzero(unknown | other | (flag & ~empty & (rows["value"] != 1))
                            | (~flag & empty)):
        row = rows.iloc[i]
        at, code = f"data row {row['row_number']}", row["indicator_code"]
        if unknown.iloc[i]:
            found.append((i, problem("object_unknown", f"{row['object_id']} is no object "
                                     f"delivered for {row['period_year']}", at, OBJECT)))
        elif other.iloc[i]:
            found.append((i, problem(
                "object_kind_other", f"{code} applies to {row['indicator_kind']}, "
                f"{row['object_id']} is {row['object_kind']}", at, INDICATOR, indicator=code,
                indicator_kind=KIND_ZH[row["indicator_kind"]],
                object_kind=KIND_ZH[row["object_kind"]])))
        if flag.iloc[i] and not empty.iloc[i] and row["value"] != 1:
            found.append((i, problem("flag_value", f"{code} is a flag: 1 or empty, not "
                                     f"{row['value']:g}", at, VALUE, indicator=code)))
        elif not flag.iloc[i] and empty.iloc[i]:
            found.append((i, problem("value_required", f"{code} is a {row['finding_kind']}: "
                                     "its figure is needed", at, VALUE, indicator=code)))
    return [p for _, p in found]


def parse(con: duckdb.DuckDBPyConnection, source: Source, period: str,
          path: Path) -> pd.DataFrame:
    frame = parse_register(source, period, path, _columns(), "period_year",
                           ("object_id", "indicator_code"))
    frame["period_year"] = frame["period_year"].astype(int)
    frame["value"] = frame["value"].astype(float)
    if problems := _problems(con, frame):
        raise DeliveryError(source.source_id, path.name, problems)
    kinds = {code: i["finding_kind"] for code, i in _indicators().items()}
    frame.loc[(frame["indicator_code"].map(kinds) == "flag").to_numpy(), "value"] = 1.0
    for field in ("finding_zh", "photo_files"):
        if field not in frame:
            frame[field] = None
    return frame


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    return load_register(con, "raw.object_findings", parse(con, source, period, path),
                         batch_id)
