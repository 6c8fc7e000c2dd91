"""Department files: one wide sheet per department and year, melted to one row per cell.

Headers are mapped to catalogue variables through the seeds (``ref_variables``:
the header text; ``ref_units``: the unit in brackets), never through code. Values
are converted to the variable's canonical unit; the delivered header and unit are
kept beside them.

A cell holding a placeholder (``-``, ``—``, ``/``, ``无`` …) is loaded as missing and
listed: the parsed frame carries them in ``frame.attrs["placeholders"]`` (``Placeholder``:
data row, where, column heading as delivered, text) and the load logs a warning naming
them, so that a delivery turning figures into missing can be noticed.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.core.periods import Period
from cityhealth.core.reference import unit_factors, variables_by_name
from cityhealth.ingestion.checks import area_code_problem, year_problem
from cityhealth.ingestion.errors import DeliveryError, Problem, problem, problem_of
from cityhealth.ingestion.registry import Source
from cityhealth.ingestion.tables import (
    Placeholder,
    is_total_row,
    parse_number,
    placeholder,
    placeholder_warning,
    read_tables,
)
from cityhealth.warehouse.connection import insert_frame

log = logging.getLogger(__name__)

CODE, NAME, YEAR = "行政区划代码", "地区名称", "统计年度"
KEY_COLUMNS = (CODE, NAME, YEAR)
# name(unit) with ASCII or full-width brackets; the unit is the last bracketed part
HEADER = re.compile(r"^(?P<name>.+?)\s*[(（](?P<unit>[^()（）]+)[)）]\s*$")


def _map_columns(header: list[str], department: str) -> tuple[dict[str, tuple], list[Problem]]:
    """Header -> (variable_code, delivered unit, factor) for every value column."""
    mapped: dict[str, tuple] = {}
    problems = [problem("missing_column", f"missing column {name}", heading=name)
                for name in KEY_COLUMNS if name not in header]
    for label in header:
        if label in KEY_COLUMNS or not label:
            continue
        match = HEADER.match(label)
        variable = variables_by_name().get(match["name"]) if match else None
        if variable is None:
            problems.append(problem("unknown_heading", "not a catalogue variable (header must "
                                    "be <ref_variables.variable_name_zh>(<unit>))", column=label))
            continue
        if variable["department_code"] != department:
            problems.append(problem(
                "other_department",
                f"{variable['variable_name_zh']} is delivered by {variable['department_code']}, "
                f"not {department}: is this another department's file?", column=label))
            continue
        factor = unit_factors().get((match["unit"], variable["unit_zh"]))
        if factor is None:
            problems.append(problem("unit", f"unit {match['unit']} cannot be converted to "
                                    f"{variable['unit_zh']} (ref_units.csv)", column=label))
            continue
        mapped[label] = (variable["variable_code"], match["unit"], factor)
    return mapped, problems


def parse(source: Source, period: str, path: Path) -> pd.DataFrame:
    """The delivered cells as raw.department_values rows (without batch_id)."""
    tables, problems = read_tables(path, CODE)
    year = Period.parse(period).check_year
    records: list[tuple] = []
    placeholders: list[Placeholder] = []
    seen: dict[tuple[str, str], str] = {}
    for table in tables:
        mapped, header_problems = _map_columns(table.header, source.department or "")
        problems += header_problems
        if header_problems:
            continue
        rows_seen: dict[str, str] = {}
        for row in table.rows:
            if is_total_row(row, CODE, NAME):
                continue
            where = row.where(table.sheet)
            code = row.cells[CODE]
            if (issue := area_code_problem(code)) is not None:
                problems.append(issue.at(where, CODE))
                continue
            if (issue := year_problem(row.cells[YEAR], period)) is not None:
                problems.append(issue.at(where, YEAR))
                continue
            if code in rows_seen:
                problems.append(problem("duplicate_row",
                                        f"duplicate row for {code} (also {rows_seen[code]})",
                                        where, CODE))
                continue
            rows_seen[code] = where
            for label, (variable, unit, factor) in mapped.items():
                if (code, variable) in seen:
                    problems.append(problem(
                        "delivered_twice", f"{code} delivered twice (also "
                        f"{seen[code, variable]})", where, label))
                    continue
                seen[code, variable] = where
                try:
                    value = parse_number(row.cells[label])
                except ValueError as error:
                    problems.append(problem_of(error, where, label))
                    continue
                if (found := placeholder(row, table.sheet, label)) is not None:
                    placeholders.append(found)
                records.append((source.source_id, source.department, row.data_row, code,
                                row.cells[NAME], year, label, variable,
                                None if value is None else value * factor, unit))
    if problems:
        raise DeliveryError(source.source_id, path.name, problems)
    if not records:
        raise DeliveryError(source.source_id, path.name,
                            problem("no_rows", "no data rows below the header"))
    frame = pd.DataFrame.from_records(records, columns=[
        "source_id", "department_code", "row_number", "area_code", "area_name", "period_year",
        "column_label", "variable_code", "value", "delivered_unit"])
    frame.attrs["placeholders"] = placeholders
    return frame


def delivered_name(con: duckdb.DuckDBPyConnection, batch_id: str, path: Path) -> str:
    """The file's name as delivered (``path`` is the archived copy, named by its hash)."""
    found = con.execute("select original_name from raw.load_batches where batch_id = ?",
                        [batch_id]).fetchone()
    return found[0] if found and found[0] else path.name


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    frame = parse(source, period, path)
    if frame.attrs["placeholders"]:
        log.warning("%s: %s: %s", source.source_id, delivered_name(con, batch_id, path),
                    placeholder_warning(frame.attrs["placeholders"]))
    frame.insert(0, "batch_id", batch_id)
    insert_frame(con, "raw.department_values", frame)
    return int(frame["row_number"].nunique())
