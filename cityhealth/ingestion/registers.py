"""The supervision registers: task progress (monthly dispatch) and the project library.

Both are tables with a fixed set of Chinese columns; each column is declared once with
the parser of its cells, so a register is a list of columns, not a page of code. A
bad cell is reported with its row and column; the whole batch is then quarantined.
A placeholder (``-``, ``/``, ``无`` …) in a number column that may be empty is read as
missing and listed in ``frame.attrs["placeholders"]``; where the cell must be filled it
is an error like an empty cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from cityhealth.core.reference import seed_rows
from cityhealth.ingestion.checks import area_code_problem
from cityhealth.ingestion.errors import (
    DeliveryError,
    Problem,
    Refused,
    problem,
    problem_of,
    shown,
)
from cityhealth.ingestion.registry import Source
from cityhealth.ingestion.tables import (
    Placeholder,
    Table,
    parse_number,
    placeholder,
    read_tables,
)
from cityhealth.warehouse.connection import insert_frame

TASK_STATUS = {"未启动": "not_started", "推进中": "in_progress", "已完成": "done",
               "滞后": "delayed"}
MAX_CHOICES_SHOWN = 8  # more choices than this are not listed in the Chinese rule
PROJECT_STATUS = {"谋划": "planned", "储备": "planned", "在建": "under_construction",
                  "完工": "completed", "已完工": "completed"}


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    parse: Callable[[str], object]
    required: bool = True      # the column must be there
    allow_empty: bool = False  # the cell may be empty


def text(cell: str) -> str:
    return cell


def number(cell: str) -> float | None:
    return parse_number(cell)


def percent(cell: str) -> float | None:
    """A percentage as delivered ('85' or '85%'); whether it is plausible (0–100) is the
    quality gate's rule, not a reason to refuse the file here."""
    return number(cell.rstrip("%"))


def month(cell: str) -> str:
    match = re.match(r"^(\d{4})[-/年.](\d{1,2})", cell)
    if not match or not 1 <= int(match[2]) <= 12:
        raise Refused("not_month", f"'{shown(cell)}' is not a month (YYYY-MM)")
    return f"{match[1]}-{int(match[2]):02d}"


def month_start(cell: str) -> date:
    year, mon = month(cell).split("-")
    return date(int(year), int(mon), 1)


def one_of(mapping: dict[str, str], what: str, catalogue_zh: str = "") -> Callable[[str], str]:
    """A cell that must be one of ``mapping``'s keys; a long list is a catalogue
    (``catalogue_zh``, e.g. '规划任务目录') that the Chinese rule names instead of listing."""
    def parse(cell: str) -> str:
        if cell not in mapping:
            message = f"'{shown(cell)}' is not a {what} ({'/'.join(mapping)})"
            if catalogue_zh or len(mapping) > MAX_CHOICES_SHOWN:
                raise Refused("not_in_catalogue", message, catalogue=catalogue_zh or "目录")
            raise Refused("not_one_of", message, choices="、".join(mapping))
        return mapping[cell]
    return parse


def area(levels: tuple[str, ...]) -> Callable[[str], str]:
    def parse(cell: str) -> str:
        if (issue := area_code_problem(cell, levels)) is not None:
            raise Refused(issue)
        return cell
    parse.levels = levels  # type: ignore[attr-defined]  # read by the column-wise path
    return parse


def indicator_list(cell: str) -> list[str]:
    known = {r["indicator_code"] for r in seed_rows("ref_indicators")}
    codes = [c for c in re.split(r"[\s,;，；、]+", cell) if c]
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Refused("unknown_indicator", f"unknown indicator code(s) "
                      f"{', '.join(map(shown, unknown))} (ref_indicators.csv)")
    return codes


def whole(cell: str) -> int | None:
    """A count or a year: a whole number ('12', '12.0'); a placeholder is missing."""
    value = number(cell)
    if value is None:
        return None
    if not value.is_integer():
        raise Refused("not_whole", f"'{shown(cell)}' is not a whole number")
    return int(value)


def year(cell: str) -> str:
    """A four-digit year as delivered ('2025', '2025年'), compared with the period."""
    match = re.match(r"^(\d{4})(?:\.0)?年?$", cell)
    if not match:
        raise Refused("year_format", f"'{shown(cell)}' is not a year")
    return match[1]


def day(cell: str) -> date:
    """A date as delivered ('2025-06-30', '2025/6/30', '2025年6月30日'; a workbook's date)."""
    match = re.match(r"^(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?(?:[ T]00:00(?::00)?)?$",
                     cell)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise Refused("not_date", f"'{shown(cell)}' is not a date (YYYY-MM-DD)")


def file_names(cell: str) -> list[str]:
    """Photo files referenced by name: several separated by ';', '；', '、' or ','."""
    return [name.strip() for name in re.split(r"[;；、,，\n]+", cell) if name.strip()]


def parse_register(source: Source, period: str, path: Path, columns: list[Column],
                   period_field: str, unique: tuple[str, ...]) -> pd.DataFrame:
    """The rows of a register as records of the columns' fields (plus row_number)."""
    tables, problems = read_tables(path, columns[0].header)
    return parse_tables(source, period, path.name, tables, problems, columns, period_field,
                        unique)


def parse_tables(source: Source, period: str, file_name: str, tables: list[Table],
                 problems: list[Problem], columns: list[Column], period_field: str,
                 unique: tuple[str, ...]) -> pd.DataFrame:
    """``parse_register`` on tables already read (a GeoJSON's features, say)."""
    records: list[dict] = []
    placeholders: list[Placeholder] = []
    seen: dict[tuple, str] = {}
    for table in tables:
        missing = [c.header for c in columns if c.required and c.header not in table.header]
        if missing:
            problems += [problem("missing_column", f"missing column {name}", heading=name)
                         for name in missing]
            continue
        for row in table.rows:
            where = row.where(table.sheet)
            record: dict = {"row_number": row.data_row}
            ok = True
            for column in columns:
                cell = row.cells.get(column.header, "")
                if not cell:
                    if not column.allow_empty:
                        problems.append(problem("cell_empty", "the cell is empty", where,
                                                column.header))
                        ok = False
                    record[column.field] = None
                    continue
                try:
                    record[column.field] = column.parse(cell)
                except ValueError as error:
                    problems.append(problem_of(error, where, column.header))
                    ok = False
                    continue
                if column.parse in (number, percent, whole) and \
                        (found := placeholder(row, table.sheet, column.header)) is not None:
                    if not column.allow_empty:
                        problems.append(problem("placeholder_required", f"'{shown(cell)}' "
                                                "stands for no figure; the cell must be filled",
                                                where, column.header))
                        ok = False
                    placeholders.append(found)
            if not ok:
                continue
            if record[period_field] != period:
                header = next(c.header for c in columns if c.field == period_field)
                problems.append(problem("period_other", f"{record[period_field]} is not the "
                                        f"delivery period {period}", where, header,
                                        period=period))
                continue
            key = tuple(record[f] for f in unique)
            if key in seen:
                problems.append(problem("duplicate_record", f"duplicate row for "
                                        f"{'/'.join(map(str, key))} (also {seen[key]})", where,
                                        columns[0].header))
                continue
            seen[key] = where
            records.append(record)
    if problems:
        raise DeliveryError(source.source_id, file_name, problems)
    if not records:
        raise DeliveryError(source.source_id, file_name,
                            problem("no_rows", "no data rows below the header"))
    frame = pd.DataFrame.from_records(records)
    frame.insert(0, "source_id", source.source_id)
    frame.attrs["placeholders"] = placeholders
    return frame


def load_register(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame,
                  batch_id: str) -> int:
    frame.insert(0, "batch_id", batch_id)
    insert_frame(con, table, frame)
    return len(frame)
