"""The provincial third-party assessment: independent measurements of sampled indicators.

A placeholder in 测评值 (``-``, ``/``, ``无`` …) is loaded as missing and listed in
``frame.attrs["placeholders"]``; the load logs a warning naming those cells.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.core.periods import Period
from cityhealth.core.reference import seed_rows
from cityhealth.ingestion.checks import area_code_problem, year_problem
from cityhealth.ingestion.department_file import delivered_name
from cityhealth.ingestion.errors import DeliveryError, problem, problem_of, shown
from cityhealth.ingestion.registry import Source
from cityhealth.ingestion.tables import (
    Placeholder,
    parse_number,
    placeholder,
    placeholder_warning,
    read_tables,
)
from cityhealth.warehouse.connection import insert_frame

log = logging.getLogger(__name__)

CODE, YEAR, INDICATOR, VALUE, ASSESSOR, MEASURED_ON = (
    "行政区划代码", "年度", "指标代码", "测评值", "测评机构", "测评日期")
REQUIRED = (CODE, YEAR, INDICATOR, VALUE)


def parse(source: Source, period: str, path: Path) -> pd.DataFrame:
    tables, problems = read_tables(path, CODE)
    year = Period.parse(period).check_year
    indicators = {r["indicator_code"] for r in seed_rows("ref_indicators")}
    records: list[tuple] = []
    placeholders: list[Placeholder] = []
    seen: dict[tuple[str, str], str] = {}
    for table in tables:
        missing = [problem("missing_column", f"missing column {c}", heading=c)
                   for c in REQUIRED if c not in table.header]
        if missing:
            problems += missing
            continue
        for row in table.rows:
            where = row.where(table.sheet)
            code, indicator = row.cells[CODE], row.cells[INDICATOR]
            if (issue := area_code_problem(code)) is not None:
                problems.append(issue.at(where, CODE))
                continue
            if (issue := year_problem(row.cells[YEAR], period)) is not None:
                problems.append(issue.at(where, YEAR))
                continue
            if indicator not in indicators:
                problems.append(problem("unknown_indicator", f"unknown indicator code "
                                        f"'{shown(indicator)}' (ref_indicators.csv)", where,
                                        INDICATOR))
                continue
            if (code, indicator) in seen:
                problems.append(problem("measured_twice", f"{code} {indicator} measured twice "
                                        f"(also {seen[code, indicator]})", where, INDICATOR))
                continue
            seen[code, indicator] = where
            try:
                value = parse_number(row.cells[VALUE])
            except ValueError as error:
                problems.append(problem_of(error, where, VALUE))
                continue
            if (found := placeholder(row, table.sheet, VALUE)) is not None:
                placeholders.append(found)
            measured_on = None
            if row.cells.get(MEASURED_ON):
                try:
                    measured_on = date.fromisoformat(row.cells[MEASURED_ON][:10])
                except ValueError:
                    problems.append(problem("not_date", f"'{shown(row.cells[MEASURED_ON])}' is "
                                            "not a date (YYYY-MM-DD)", where, MEASURED_ON))
                    continue
            records.append((source.source_id, row.data_row, code,
                            year, indicator,
                            value, row.cells.get(ASSESSOR) or None, measured_on))
    if problems:
        raise DeliveryError(source.source_id, path.name, problems)
    if not records:
        raise DeliveryError(source.source_id, path.name,
                            problem("no_rows", "no data rows below the header"))
    frame = pd.DataFrame.from_records(records, columns=[
        "source_id", "row_number", "area_code", "period_year", "indicator_code", "value",
        "assessor", "measured_on"])
    frame.attrs["placeholders"] = placeholders
    return frame


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    frame = parse(source, period, path)
    if frame.attrs["placeholders"]:
        log.warning("%s: %s: %s", source.source_id, delivered_name(con, batch_id, path),
                    placeholder_warning(frame.attrs["placeholders"]))
    frame.insert(0, "batch_id", batch_id)
    insert_frame(con, "raw.third_party_values", frame)
    return len(frame)
