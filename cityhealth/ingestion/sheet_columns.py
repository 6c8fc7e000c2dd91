"""A register's CSV sheet read column-wise by DuckDB: what a million-row sheet costs.

``registers.parse_register`` reads every cell in Python (``tables.read_tables``) and
parses it cell by cell: right for any sheet a clerk can deliver, and about 120 µs a row.
A large CSV (the housing register: a million buildings) is read here instead by
DuckDB's CSV reader, every column as text, and each column's rule (``registers.Column``:
text, area code, year, number, whole number, photo files) runs as one SQL expression
over the whole table, as ``survey_export`` does for the survey export.

The SQL only decides that a sheet is *clean*: every cell exactly what the cell parser
would accept without a word (no surrounding blanks, no placeholder, no thousands
separator, the delivery period's year, a known county, every object id once, one line
per row). Then it converts the cells as the cell parser would, and the rows are the
same. A sheet with anything else – a bad cell, a placeholder, a duplicate, a title row
above the header, a blank line, a cell over two lines, another encoding – is left to
``parse_register`` (``read`` returns None), so that every error still names the row and
the heading as delivered with the same Chinese rule, and every tolerated quirk is
tolerated the same way. Only a sheet with a problem pays the cell-by-cell cost.

The sheet is parsed by a cursor of the load's connection into an in-memory database
attached for the read (under the deployment's memory limit and spill folder): a sheet
DuckDB refuses fails the cursor's own statement, not the load's transaction, and the
load inserts the parsed rows from there without leaving DuckDB. The two costliest
checks – a blank at the edge of a cell, the form of a number – run as one regular
expression over the row's cells joined, not one per cell.
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

from cityhealth.ingestion.checks import area_codes
from cityhealth.ingestion.registers import Column, file_names, number, text, whole, year
from cityhealth.ingestion.survey_export import CSV_OPTIONS
from cityhealth.ingestion.tables import MAX_CELL_CHARS, detect_encoding, sniff
from cityhealth.warehouse.connection import ident, literal

# exactly what Python's str.strip removes (tables.read_tables strips every cell)
BLANKS = "".join(f"\\x{{{c:x}}}" for c in range(sys.maxunicode + 1) if chr(c).isspace())
BLANK = f"[{BLANKS}]"
JOIN = "\ufffc"  # joins a row's cells for one expression per row (a cell holding it: left
#                  to the cell parser at worst, never taken for clean wrongly)
NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
YEAR = r"^([0-9]{4})(\.0)?年?$"
SEPARATOR = "[;；、,，\n]"  # registers.file_names
MAX_INT = 2**31  # raw tables' integer columns
HEADER_PROBE = 1 << 16


def _header(path: Path, first: str) -> list[str] | None:
    """The header of a UTF-8 CSV on its first line, when it is exactly what DuckDB will
    name the columns (no title row, no blank or repeated heading, nothing to strip)."""
    with open(path, "rb") as handle:
        head = handle.read(HEADER_PROBE)
    if sniff(head) != "text" or detect_encoding(path) != "utf-8" or b"\n" not in head:
        return None
    try:
        line = head[:head.index(b"\n")].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    cells = next(csv.reader(io.StringIO(line)), [])
    if not cells or cells[0] != first or len(set(cells)) != len(cells) or \
            any(not c or c != c.strip() for c in cells):
        return None
    return cells


def _lines(path: Path) -> int:
    """Lines of the file (a last line without its line end counts)."""
    count, last = 0, b""
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(8 << 20), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (1 if last and last != b"\n" else 0)


def _rule(column: Column, cell: str, period: str | None) -> tuple[str, str] | None:
    """(SQL true when a non-empty cell is clean, SQL of its value) for a column's parser;
    None for a parser this path does not know. (Numbers' form: ``_joined``.)"""
    parse = column.parse
    if parse is text:
        return "true", cell
    if parse is file_names:
        edge = f"(^|{SEPARATOR}){BLANK}|{BLANK}($|{SEPARATOR})"
        return (f"not regexp_matches({cell}, '{edge}')",
                f"list_filter(regexp_split_to_array({cell}, '{SEPARATOR}+'), x -> x <> '')")
    if parse in (number, whole):
        value = f"try_cast({cell} as double)"
        if parse is number:
            return f"isfinite({value})", value
        return (f"isfinite({value}) and {value} = round({value}) and abs({value}) < {MAX_INT}",
                f"{value}::integer")
    if parse is year:
        value = f"regexp_extract({cell}, '{YEAR}', 1)"
        return (f"{value} = {literal(period)}" if period is not None else f"{value} <> ''"), value
    if (levels := getattr(parse, "levels", None)) is not None:
        return "list_contains($codes_" + "_".join(levels) + f", {cell})", cell
    return None


def _joined(cells: list[str], pattern: str) -> str:
    """SQL true when every one of a row's cells matches ``pattern`` (one regular
    expression over the cells joined; NULL cells as empty)."""
    row = f"concat_ws('{JOIN}', " + ", ".join(f"coalesce({c}, '')" for c in cells) + ")"
    return f"regexp_matches({row}, '^{pattern}({JOIN}{pattern})*$')"


def _select(header: list[str], present: list[Column], period: str,
            period_field: str) -> str | None:
    """The select over the sheet's text cells: each field's value, and ``clean``."""
    rules = {}
    for column in present:
        found = _rule(column, ident(column.header), period if column.field == period_field
                      else None)
        if found is None:
            return None
        rules[column.field] = found
    cells = [ident(c.header) for c in present]
    cleans = [f"strlen(coalesce({ident(h)}, '')) <= {MAX_CELL_CHARS}" for h in header]
    # every cell empty, or starting and ending with a character that is not a blank
    cleans.append(_joined(cells, f"([^{JOIN}{BLANKS}]([^{JOIN}]*[^{JOIN}{BLANKS}])?)?"))
    numbers = [ident(c.header) for c in present if c.parse in (number, whole)]
    if numbers:
        cleans.append(_joined(numbers, f"({NUMBER})?"))
    values = []
    for column in present:
        cell, (clean, value) = ident(column.header), rules[column.field]
        empty = "true" if column.allow_empty else "false"
        cleans.append(f"(case when coalesce({cell}, '') = '' then {empty} else {clean} end)")
        values.append(f"case when coalesce({cell}, '') <> '' then {value} end "
                      f"as {ident(column.field)}")
    return f"select {', '.join(values)}, ({' and '.join(cleans)}) as clean"


@contextlib.contextmanager
def read(con: duckdb.DuckDBPyConnection, path: Path, period: str, columns: list[Column],
         period_field: str, unique: tuple[str, ...]) -> Iterator[str | None]:
    """The sheet's rows as ``parse_register`` would give them: SQL of a relation readable
    on ``con`` (row_number, then the columns' fields that the sheet has) while the
    context is open; None when the sheet is not clean (see the module's note) and must
    go through ``parse_register``."""
    header = _header(path, columns[0].header) if path.suffix.lower() == ".csv" else None
    if header is None or any(c.required and c.header not in header for c in columns):
        yield None
        return
    present = [c for c in columns if c.header in header]
    select = _select(header, present, period, period_field)
    if select is None:
        yield None
        return
    codes = {"codes_" + "_".join(levels): sorted(area_codes(levels))
             for c in present if (levels := getattr(c.parse, "levels", None)) is not None}
    key = ", ".join(ident(c.field) for f in unique for c in present if c.field == f)
    scratch = f"sheet_{uuid.uuid4().hex[:12]}"
    cursor = con.cursor()
    cursor.execute(f"attach ':memory:' as {scratch}")
    try:
        source = f"read_csv($path, {CSV_OPTIONS})"
        try:
            found = cursor.execute(f"select * from {source} limit 0",
                                   {"path": str(path)}).description
            if [d[0] for d in found] != header:
                yield None
                return
            cursor.execute(f"create table {scratch}.sheet as {select} from {source}",
                           {"path": str(path), **codes})
        except duckdb.Error:
            yield None
            return
        rows, unclean, keys, first = cursor.execute(
            f"select count(*), count(*) filter (where not clean), count(distinct ({key})), "
            f"min(rowid) from {scratch}.sheet").fetchone()
        if not rows or unclean or keys != rows or rows + 1 != _lines(path):
            yield None
            return
        yield (f"(select (rowid - {int(first)} + 1)::integer as row_number, "
               f"* exclude (clean) from {scratch}.sheet)")
    finally:
        with contextlib.suppress(duckdb.Error):
            cursor.execute(f"detach {scratch}")
        cursor.close()
