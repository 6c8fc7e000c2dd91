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
from datetime import date, datetime
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


# The four-level check (2024 on): objects of one city's 市辖区, their findings and the
# treatment register (raw.check_objects, raw.object_findings, raw.object_treatment).
OBJECT_CITY = "360100"


@dataclass
class ObjectFixture:
    """What was inserted, for the assertions."""

    districts: list[str] = field(default_factory=list)  # the city's 市辖区, in code order
    missing: str = ""  # the district that delivers nothing in the last year
    quarantined_problem: str = ""  # object_id:indicator of a quarantined delivery
    batches: dict[str, str] = field(default_factory=dict)  # batch_id -> status


def insert_objects(con: duckdb.DuckDBPyConnection, seeds_dir: Path) -> ObjectFixture:
    """Every 市辖区 of OBJECT_CITY surveys one district, block and compound and four
    buildings in 2024 and 2025, except the last district, which delivers nothing in
    2025. Findings per district: building 1 has a structural hazard (ZF01) in 2024 only
    (re-check passed), building 2 a gas hazard (ZF02) in both years (re-check failed);
    the compound is 30 parking places short (XQ06); the district measures 2.0 + 0.1 × i
    m² of sports ground per person (CQ01). Treatment: ZF01 listed 2024-11, rectified
    2025-06 by a project; ZF02 in progress from 2025-03. A quarantined findings batch
    carries a problem that must not appear."""
    districts = sorted(a["area_code"] for a in _read(seeds_dir, "ref_areas")
                       if a["city_code"] == OBJECT_CITY and a["county_type"] == "district")
    fixture = ObjectFixture(districts=districts, missing=districts[-1],
                            quarantined_problem=f"{districts[0]}-ZF-00003:ZF03")
    objects, findings, treatment, batch_rows = [], [], [], []

    def batch(source_id: str, period: str, rows: int, status: str = "promoted") -> str:
        batch_id = f"{source_id}:{period}:{('c' if status == 'promoted' else 'd') * 12}"
        fixture.batches[batch_id] = status
        year = int(period[:4])
        loaded = datetime(year, 12, 1, 9, 0, 0) if len(period) == 4 else datetime(
            year, int(period[5:7]), 28, 9, 0, 0)
        batch_rows.append((batch_id, source_id, period, f"{source_id}_{period}.xlsx", "0" * 64,
                           1000, rows, loaded, loaded, status,
                           "fixture: failed validation" if status != "promoted" else None,
                           source_id))
        return batch_id

    for year in YEARS:
        surveyed = [d for d in districts if not (year == YEARS[-1] and d == fixture.missing)]
        kinds: dict[str, list[tuple]] = {}
        for i, county in enumerate(surveyed):
            district_id, block_id, compound_id = (f"{county}-CQ-0001", f"{county}-JQ-0001",
                                                  f"{county}-XQ-0001")
            kinds.setdefault("district", []).append(
                (district_id, "district", f"{county}城区", county, None, 10_000 + 1_000 * i,
                 None, 5.0e6))
            kinds.setdefault("block", []).append(
                (block_id, "block", "示例街区", county, district_id, None, None, 2.0e5))
            kinds.setdefault("compound", []).append(
                (compound_id, "compound", "示例小区", county, block_id, 500, 480, 3.0e4))
            for n in range(1, 5):
                kinds.setdefault("housing", []).append(
                    (f"{county}-ZF-{n:05d}", "housing", f"{n}栋", county, compound_id, 20, 20,
                     1500.0))
            findings.append((year, f"{county}-ZF-00002", "ZF02", 1.0, "燃气管道老化"))
            findings.append((year, compound_id, "XQ06", 30.0, "停车泊位不足"))
            findings.append((year, district_id, "CQ01", 2.0 + 0.1 * districts.index(county),
                             None))
            if year == YEARS[0]:
                findings.append((year, f"{county}-ZF-00001", "ZF01", 1.0, "墙体开裂"))
        for kind, rows in kinds.items():
            batch_id = batch(f"objects_{kind}", str(year), len(rows))
            for row_number, (object_id, object_kind, name, county, parent, households,
                             dwellings, area) in enumerate(rows, start=1):
                objects.append((batch_id, f"objects_{kind}", row_number, year, object_id,
                                object_kind, name, county, "示例街道", parent, 115.9, 28.7,
                                1990, 6 if kind == "housing" else None, dwellings, households,
                                area, ["p1.jpg"]))
    for year in YEARS:
        rows = [f for f in findings if f[0] == year]
        batch_id = batch("object_findings", str(year), len(rows))
        findings_rows = [(batch_id, "object_findings", n, *row[:3], row[3], row[4], [])
                         for n, row in enumerate(rows, start=1)]
        con.executemany("insert into raw.object_findings values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        findings_rows)
    object_id, indicator = fixture.quarantined_problem.split(":")
    bad = batch("object_findings", str(YEARS[-1]), 1, status="quarantined")
    con.execute("insert into raw.object_findings values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [bad, "object_findings", 1, YEARS[-1], object_id, indicator, 1.0, None, []])
    for period, status in (("2024-11", "listed"), ("2025-03", None), ("2025-06", "rectified")):
        rows = []
        for county in districts:
            rows.append((f"{county}-ZF-00001", "ZF01",
                         f"P-{county}" if status == "rectified" else None, status or "listed",
                         date(2025, 6, 15) if status == "rectified" else None))
            if period >= "2025-03":
                rows.append((f"{county}-ZF-00002", "ZF02", None, "in_progress", None))
        batch_id = batch("object_treatment", period, len(rows))
        treatment += [(batch_id, "object_treatment", n, period, *row)
                      for n, row in enumerate(rows, start=1)]
    con.executemany(
        "insert into raw.load_batches (batch_id, source_id, period, original_name, sha256, "
        "bytes, rows, received_at, loaded_at, status, error, delivered_by) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch_rows)
    con.executemany("insert into raw.check_objects values "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", objects)
    con.executemany("insert into raw.object_treatment values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    treatment)
    return fixture
