"""A deterministic raw-layer fixture for the dbt build, generated from the seeds.

The seeds list every county (about 100) and every variable, so the fixture is generated
rather than typed: two years of department values for all counties and all variables,
one promoted batch per department and year, plus one quarantined batch whose values must
never reach staging and one county that leaves out one variable (a missing value).
Values are chosen so that indicators fall inside the catalogue's typical range.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

YEARS = (2024, 2025)
QUARANTINED_VALUE = -999_999.0


@dataclass
class Fixture:
    """What was inserted, for the assertions."""

    values: dict[tuple[str, int, str], float] = field(default_factory=dict)
    batches: dict[str, str] = field(default_factory=dict)  # batch_id -> status
    counties: dict[str, str] = field(default_factory=dict)  # county -> city
    missing: tuple[str, int, str] | None = None  # (county, year, variable) left out
    quarantined_batch_id: str = ""


def _read(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    with open(seeds_dir / f"{name}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _fraction(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (no randomness, same every run)."""
    text = "|".join(str(p) for p in parts)
    return (sum((i + 1) * ord(c) for i, c in enumerate(text)) % 997) / 997


def _applies(indicator: dict[str, str], year: int) -> bool:
    start = int(indicator["check_year_from"])
    end = int(indicator["check_year_to"]) if indicator["check_year_to"] else 9999
    return start <= year <= end


def _number(text: str, default: float) -> float:
    return float(text) if text not in ("", None) else default


def generate_values(seeds_dir: Path) -> Fixture:
    """Values per (county, year, variable): base numbers first, then numerators solved
    from a target indicator value inside [typical_low, typical_high]."""
    areas = _read(seeds_dir, "ref_areas")
    variables = _read(seeds_dir, "ref_variables")
    indicators = _read(seeds_dir, "ref_indicators")
    fixture = Fixture(
        counties={a["area_code"]: a["city_code"] for a in areas if a["area_level"] == "county"}
    )
    for county in fixture.counties:
        for year in YEARS:
            values: dict[str, float] = {}
            for variable in variables:
                if variable["is_base_number"].lower() == "true":
                    low = _number(variable["valid_min"], 0.0)
                    high = _number(variable["valid_max"], low + 100.0)
                    share = 0.02 + 0.08 * _fraction(county, year, variable["variable_code"])
                    values[variable["variable_code"]] = max(low + (high - low) * share, 1e-6)
            for indicator in indicators:
                numerator = indicator["numerator_variable"]
                if not _applies(indicator, year) or numerator in values:
                    continue
                low = _number(indicator["typical_low"], 0.0)
                high = _number(indicator["typical_high"], low + 1.0)
                target = low + (high - low) * _fraction(county, year, indicator["indicator_code"])
                multiplier = _number(indicator["multiplier"], 1.0) or 1.0
                denominator = values.get(indicator["denominator_variable"] or "", 1.0)
                values[numerator] = target * denominator / multiplier
            for variable in variables:
                code = variable["variable_code"]
                if code not in values:
                    low = _number(variable["valid_min"], 0.0)
                    high = _number(variable["valid_max"], low + 100.0)
                    values[code] = low + (high - low) * 0.5 * _fraction(county, year, code)
            for code, value in values.items():
                fixture.values[(county, year, code)] = value
    return fixture


def insert_raw(con: duckdb.DuckDBPyConnection, seeds_dir: Path) -> Fixture:
    """Insert the fixture into raw.load_batches and raw.department_values."""
    fixture = generate_values(seeds_dir)
    variables = {v["variable_code"]: v for v in _read(seeds_dir, "ref_variables")}
    indicators = _read(seeds_dir, "ref_indicators")
    # The missing value: the first county leaves out the numerator of the first ratio
    # indicator in the last year.
    ratio = next(i for i in indicators if i["aggregation"] == "ratio" and i["denominator_variable"])
    first_county = next(iter(fixture.counties))
    fixture.missing = (first_county, YEARS[-1], ratio["numerator_variable"])

    batch_rows, value_rows = [], []
    for year in YEARS:
        by_department: dict[str, list[tuple[str, str, float]]] = {}
        for (county, value_year, code), value in fixture.values.items():
            if value_year != year or (county, value_year, code) == fixture.missing:
                continue
            department = variables[code]["department_code"]
            by_department.setdefault(department, []).append((county, code, value))
        for department, cells in sorted(by_department.items()):
            source_id = f"dept_{department.lower()}"
            batch_id = f"{source_id}:{year}:{'a' * 12}"
            fixture.batches[batch_id] = "promoted"
            batch_rows.append(_batch_row(batch_id, source_id, year, len(cells), "promoted"))
            value_rows += _value_rows(batch_id, source_id, department, year, cells, variables)
    # A quarantined delivery of the last year: absurd values that must stay out.
    quarantined_department = sorted({v["department_code"] for v in variables.values()})[0]
    source_id = f"dept_{quarantined_department.lower()}"
    batch_id = f"{source_id}:{YEARS[-1]}:{'b' * 12}"
    cells = [
        (county, code, QUARANTINED_VALUE)
        for county in fixture.counties
        for code, variable in variables.items()
        if variable["department_code"] == quarantined_department
    ]
    fixture.batches[batch_id] = "quarantined"
    fixture.quarantined_batch_id = batch_id
    batch_rows.append(_batch_row(batch_id, source_id, YEARS[-1], len(cells), "quarantined"))
    value_rows += _value_rows(
        batch_id, source_id, quarantined_department, YEARS[-1], cells, variables
    )

    con.executemany(
        "insert into raw.load_batches (batch_id, source_id, period, original_name, sha256, "
        "bytes, rows, received_at, loaded_at, status, error, delivered_by) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch_rows,
    )
    con.executemany(
        "insert into raw.department_values (batch_id, source_id, department_code, row_number, "
        "area_code, area_name, period_year, column_label, variable_code, value, delivered_unit) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        value_rows,
    )
    return fixture


def _batch_row(batch_id: str, source_id: str, year: int, rows: int, status: str) -> tuple:
    loaded = datetime(year + 1, 3, 1, 9, 0, 0)
    error = "fixture: failed validation" if status == "quarantined" else None
    return (batch_id, source_id, str(year), f"{source_id}_{year}.csv", "0" * 64, 1000, rows,
            loaded, loaded, status, error, source_id)


def _value_rows(batch_id, source_id, department, year, cells, variables) -> list[tuple]:
    rows = []
    county_rows: dict[str, int] = {}
    for county, code, value in cells:
        row_number = county_rows.setdefault(county, len(county_rows) + 1)
        unit = variables[code]["unit_zh"]
        label = f"{variables[code]['variable_name_zh']}({unit})"
        rows.append((batch_id, source_id, department, row_number, county, None, year, label,
                     code, value, unit))
    return rows
